using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace QuantUNet.Batch;

/// <summary>Registers batch scoring in a generic-host or ASP.NET Core app: the queue and client, and optionally workers as a hosted service.</summary>
public static class BatchServiceCollectionExtensions
{
    /// <summary>
    /// Hangfire on PostgreSQL storage, the batch tables and <see cref="BatchClient"/>: enough to submit batches and read
    /// their status. Options come from the configuration section <see cref="BatchOptions.Section"/> and the connection
    /// string <c>ConnectionStrings:QuantUNetBatch</c>, then from <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddQuantUNetBatch(this IServiceCollection services, Action<BatchOptions>? configure = null)
    {
        services.AddOptions<BatchOptions>()
            .BindConfiguration(BatchOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString = configuration.GetConnectionString(BatchOptions.ConnectionStringName) ?? options.ConnectionString)
            .Configure(options => configure?.Invoke(options))
            .Validate(options => options.ConnectionString.Length > 0,
                $"no PostgreSQL connection string: give --connection, ConnectionStrings:{BatchOptions.ConnectionStringName} in appsettings.json or the environment variable ConnectionStrings__{BatchOptions.ConnectionStringName}.");
        services.AddSingleton(provider => NpgsqlDataSource.Create(Options(provider).ConnectionString));
        services.AddSingleton<BatchDatabase>();
        services.AddSingleton<BatchClient>();
        services.AddHangfire((provider, configuration) =>
        {
            var options = Options(provider);
            configuration
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                // Hangfire's documented way to replace its default retry policy (10 attempts over hours).
                .UseFilter(new AutomaticRetryAttribute { Attempts = options.RetryAttempts, DelaysInSeconds = [(int)Math.Ceiling(options.RetryDelay.TotalSeconds)] })
                .UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(options.ConnectionString), new PostgreSqlStorageOptions
                {
                    SchemaName = BatchDatabase.HangfireSchema,
                    InvisibilityTimeout = options.InvisibilityTimeout,
                    QueuePollInterval = options.QueuePollInterval,
                });
        });
        return services;
    }

    /// <summary>
    /// Workers that score the queue's scans in this process, as Hangfire's hosted service: <see cref="BatchOptions.WorkerThreads"/>
    /// at a time, each model loaded once and kept. On shutdown (SIGTERM, Ctrl-C) running scans finish or go back to the queue.
    /// </summary>
    public static IServiceCollection AddQuantUNetBatchWorker(this IServiceCollection services)
    {
        services.AddSingleton<ScanModelCache>();
        services.AddTransient<ScanJob>();
        services.AddHangfireServer((provider, server) =>
        {
            var options = Options(provider);
            server.WorkerCount = options.WorkerThreads > 0 ? options.WorkerThreads : Environment.ProcessorCount;
            server.ServerName = ScanJob.WorkerName;
            // Retries wait in Hangfire's schedule (polled every 15 s by default): poll it as often as the queue.
            server.SchedulePollingInterval = options.QueuePollInterval;
        });
        return services;
    }

    private static BatchOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<BatchOptions>>().Value;
}
