using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using QuantUNet.Batch;

namespace QuantUNet.Cli.Batch;

/// <summary>
/// The generic host every <c>quantunet batch</c> verb runs in, so the connection string and <see cref="BatchOptions"/>
/// come from <c>--connection</c>, appsettings.json in the working folder or the environment, as in any .NET host.
/// </summary>
internal static class BatchHost
{
    public static Option<string?> ConnectionOption() => new("--connection")
    {
        Description = $"PostgreSQL connection string (else ConnectionStrings:{BatchOptions.ConnectionStringName} from appsettings.json or ConnectionStrings__{BatchOptions.ConnectionStringName} from the environment).",
    };

    /// <summary>A host builder with batch scoring registered; <paramref name="connection"/> (from the command line) wins over configuration.</summary>
    public static HostApplicationBuilder Builder(string? connection, Action<BatchOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        AddBatch(builder, connection, configure);
        return builder;
    }

    /// <summary>Registers batch scoring in a generic host or web app builder.</summary>
    public static void AddBatch(IHostApplicationBuilder builder, string? connection, Action<BatchOptions>? configure = null)
    {
        // Hangfire reports every poll and server heartbeat at Information; a worker's console should show problems only.
        builder.Logging.AddFilter("Hangfire", LogLevel.Warning);
        builder.Services.AddQuantUNetBatch(options =>
        {
            if (!string.IsNullOrEmpty(connection)) options.ConnectionString = connection;
            configure?.Invoke(options);
        });
    }

    /// <summary>Runs a verb's work, turning a missing connection string or an unreachable database into one line and exit code 1.</summary>
    public static int Run(Func<Task<int>> work) => Commands.UserErrors.Run(() =>
    {
        try
        {
            return work().GetAwaiter().GetResult();
        }
        catch (OptionsValidationException e)
        {
            throw new ArgumentException($"--connection: {e.Message}", e);
        }
        catch (NpgsqlException e)
        {
            // Npgsql's messages name host and port, never the password.
            throw new ArgumentException($"--connection: PostgreSQL: {e.Message}", e);
        }
    });
}
