using System.Runtime.InteropServices;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// Runs a command's work and turns the errors a user or the machine can cause (a missing or damaged file, a bad value,
/// a folder that cannot be written, a full disk) into one line on stderr and exit code 1, without a stack trace.
/// </summary>
internal static class UserErrors
{
    /// <summary>The exit code of a run stopped by Ctrl-C: 128 + SIGINT, as a shell reports a process its signal ended.</summary>
    public const int InterruptedExitCode = 130;

    public static int Run(Func<int> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (UserError(e) is { } error)
        {
            Console.Error.WriteLine($"quantunet: {error.Message}");
            return 1;
        }
    }

    /// <summary>
    /// As <see cref="Run(Func{int})"/>, with Ctrl-C turned into cancellation of the token <paramref name="work"/> gets: the work
    /// stops at its next check, and the run ends with exit code 130 and the line <paramref name="interrupted"/> returns (what
    /// was kept, how to go on). A second Ctrl-C ends the process at once.
    /// </summary>
    public static int Run(Func<CancellationToken, int> work, Func<string> interrupted)
    {
        using var cancellation = new CancellationTokenSource();
        using var signal = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            if (cancellation.IsCancellationRequested) return;
            context.Cancel = true;
            cancellation.Cancel();
        });
        try
        {
            return Run(() => work(cancellation.Token));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Console.Error.WriteLine($"quantunet: {interrupted()}");
            return InterruptedExitCode;
        }
    }

    /// <summary>The exception to report in one line, or null for a bug, which keeps its stack trace.</summary>
    private static Exception? UserError(Exception e) => e switch
    {
        // A type initializer (TorchSharp's native loader) that failed on the machine's state: its cause is the user's error.
        TypeInitializationException { InnerException: { } inner } => UserError(inner),
        IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException => e,
        _ => null,
    };
}
