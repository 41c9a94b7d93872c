using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuantUNet.Batch.Tests;

/// <summary>
/// A throw-away PostgreSQL cluster on 127.0.0.1 and a free port, its data folder under the temporary folder: initdb and
/// pg_ctl run as the <c>postgres</c> user when the tests run as root (initdb refuses root). Stopped by its own pid.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private const string User = "postgres";

    private readonly string _bin, _data;
    private readonly int _port;

    private PostgresCluster(string bin, string data, int port)
    {
        _bin = bin;
        _data = data;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username={User};Database=postgres";

    /// <summary>
    /// Starts a cluster, or marks the test inconclusive (reported as skipped) with the reason when PostgreSQL is not installed;
    /// with CI=true a missing PostgreSQL fails the test instead, so CI cannot pass without running these tests.
    /// </summary>
    public static PostgresCluster Start()
    {
        var bin = FindBin();
        if (bin is null)
        {
            const string reason = "PostgreSQL is not installed (no initdb on PATH or under /usr/lib/postgresql/*/bin): apt-get install postgresql";
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(reason + " (CI=true: these tests must run)");
            Assert.Inconclusive(reason);
        }
        var data = Directory.CreateTempSubdirectory("quantunet-pg").FullName;
        if (Environment.UserName == "root") Execute("chown", ["-R", $"{User}:{User}", data], data, asPostgres: false);
        var cluster = new PostgresCluster(bin!, data, FreePort());
        cluster.Run("initdb", "-A", "trust", "-U", User, "-D", Path.Combine(data, "db"), "--no-sync");
        cluster.StartServer();
        return cluster;
    }

    /// <summary>Stops the server (fast: open connections are cut) and starts it again on the same port and data.</summary>
    public void Restart()
    {
        Run("pg_ctl", "stop", "-D", Path.Combine(_data, "db"), "-m", "fast", "-w");
        StartServer();
    }

    private void StartServer() => Run("pg_ctl", "start", "-D", Path.Combine(_data, "db"), "-w", "-l", Path.Combine(_data, "server.log"),
        "-o", $"-p {_port} -h 127.0.0.1 -k {_data} -c fsync=off -c max_connections=200");

    /// <summary>The postmaster's pid, the first line of postmaster.pid.</summary>
    private int? ServerPid()
    {
        var pidFile = Path.Combine(_data, "db", "postmaster.pid");
        return File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid) ? pid : null;
    }

    public void Dispose()
    {
        if (ServerPid() is { } pid)
        {
            try
            {
                Run("pg_ctl", "stop", "-D", Path.Combine(_data, "db"), "-m", "immediate", "-w");
            }
            catch (AssertFailedException)
            {
                // pg_ctl could not stop it: end the postmaster by its pid.
                try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
            }
        }
        Directory.Delete(_data, recursive: true);
    }

    private void Run(string tool, params string[] arguments) => Execute(Path.Combine(_bin, tool), arguments, _data, asPostgres: Environment.UserName == "root");

    private static void Execute(string program, string[] arguments, string folder, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        if (asPostgres)
            foreach (var prefix in new[] { "-u", User, "--", program }) start.ArgumentList.Add(prefix);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            Assert.Fail($"{program} did not finish in 2 minutes");
        }
        Assert.AreEqual(0, process.ExitCode, $"{program} {string.Join(' ', arguments)}: {output.Result}{error.Result}");
    }

    private static string? FindBin()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(folder => File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")));
        if (onPath is not null) return onPath;
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
