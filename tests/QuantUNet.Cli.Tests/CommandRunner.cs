using System.Diagnostics;

namespace QuantUNet.Cli.Tests;

/// <summary>Runs the built <c>quantunet</c> in a fresh process, as a user would.</summary>
internal static class CommandRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] arguments) => Run(new Dictionary<string, string?>(), arguments);

    /// <summary>As <see cref="Run(string[])"/>, with <paramref name="environment"/> set (null: removed) in the process's environment.</summary>
    public static Result Run(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using var process = Start(environment, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"quantunet {string.Join(' ', arguments)} did not finish in 10 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Sends Ctrl-C's signal (SIGINT) to a process, as a terminal does.</summary>
    public static void Interrupt(Process process)
    {
        using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Starts the built <c>quantunet</c> with its output and errors redirected, for a caller that reads them as they come.</summary>
    public static Process Start(params string[] arguments) => Start(new Dictionary<string, string?>(), arguments);

    private static Process Start(IReadOnlyDictionary<string, string?> environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "quantunet.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }
}
