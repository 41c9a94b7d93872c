using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuantUNet.Data;

namespace QuantUNet.Batch.Tests;

/// <summary>
/// What every batch test shares: one PostgreSQL cluster for the assembly, a tiny QuantU-Net trained once by the real
/// <c>train</c> verb (32x32, width 4, 2 epochs), and the running of <c>quantunet</c> processes, each stopped by its id.
/// </summary>
[TestClass]
public static class BatchFixture
{
    /// <summary>Short enough to keep the tests within minutes: a killed worker's job returns after 10 s, retries after 1 s.</summary>
    public static readonly Dictionary<string, string> FastQueue = new()
    {
        [$"{BatchOptions.Section}__{nameof(BatchOptions.InvisibilityTimeout)}"] = "00:00:10",
        [$"{BatchOptions.Section}__{nameof(BatchOptions.QueuePollInterval)}"] = "00:00:00.200",
        [$"{BatchOptions.Section}__{nameof(BatchOptions.RetryDelay)}"] = "00:00:01",
        [$"{BatchOptions.Section}__{nameof(BatchOptions.RetryAttempts)}"] = "6",
    };

    private static readonly Lazy<PostgresCluster> Cluster = new(PostgresCluster.Start);
    private static readonly Lazy<string> Model = new(TrainTinyModel);

    public static PostgresCluster Postgres => Cluster.Value;

    /// <summary>The run folder <c>train</c> wrote: model.qunet for predict, model.qint for batch scoring.</summary>
    public static string RunFolder => Model.Value;

    [AssemblyCleanup]
    public static void StopEverything()
    {
        if (Cluster.IsValueCreated) Cluster.Value.Dispose();
        if (Model.IsValueCreated) Directory.Delete(Path.GetDirectoryName(Model.Value)!, recursive: true);
    }

    /// <summary>The batch client and database of a fresh database (dropped and recreated), as an app would register them.</summary>
    public static ServiceProvider Services(string database)
    {
        Execute(Postgres.ConnectionString, $"drop database if exists {database} with (force); create database {database}");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(FastQueue.Select(p => KeyValuePair.Create(p.Key.Replace("__", ":"), (string?)p.Value))).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddQuantUNetBatch(options => options.ConnectionString = ConnectionString(database))
            .BuildServiceProvider();
    }

    public static string ConnectionString(string database) => $"{Postgres.ConnectionString.Replace("Database=postgres", $"Database={database}")}";

    public static void Execute(string connectionString, string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            using (var command = new Npgsql.NpgsqlCommand(statement, connection)) command.ExecuteNonQuery();
    }

    /// <summary>Starts <c>quantunet</c> with the fast queue settings and the connection string of <paramref name="database"/> in the environment (as an operator would pass a secret).</summary>
    public static Process Start(string? database, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "quantunet.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in FastQueue) start.Environment[key] = value;
        if (database is not null) start.Environment[$"ConnectionStrings__{BatchOptions.ConnectionStringName}"] = ConnectionString(database);
        return Process.Start(start)!;
    }

    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <c>quantunet</c> to its end (at most 5 minutes).</summary>
    public static Result Run(string? database, params string[] arguments)
    {
        using var process = Start(database, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill();
            Assert.Fail($"quantunet {string.Join(' ', arguments)} did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Asks a worker to stop as a service manager would (SIGTERM, by its pid), and kills it if it has not exited after 60 s.</summary>
    public static void Terminate(Process worker)
    {
        if (worker.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        if (!worker.WaitForExit(TimeSpan.FromSeconds(60))) worker.Kill();
    }

    /// <summary>Synthetic 32x32 slices written as PNG files under <paramref name="folder"/>.</summary>
    public static void WriteScans(string folder, int count, int seed, ImageSize size)
    {
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = size, Seed = seed });
        foreach (var slice in generator.Generate(count))
            ImageFile.WriteImage(Path.Combine(folder, $"{slice.GroupId}-{slice.Name}.png"), new PlanarImage(1, slice.Height, slice.Width, slice.Image));
    }

    private static string TrainTinyModel()
    {
        var folder = Directory.CreateTempSubdirectory("quantunet-batch-model").FullName;
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), SlicesPerPatient = 8, Seed = 5 });
        ImageFolderDataset.Write(generator.Generate(48).Select(s => s with { Name = $"{s.GroupId}/{s.Name}" }), Path.Combine(folder, "data"));
        var run = Path.Combine(folder, "run");
        var result = Run(null, "train", "--data", Path.Combine(folder, "data"), "--out", run, "--size", "32", "--width", "4", "--epochs", "2", "--batch", "8", "--threads", "2");
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        return run;
    }
}
