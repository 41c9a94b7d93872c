namespace QuantUNet.Cli.Commands;

/// <summary>
/// Runs a command's work and turns the errors a user can cause (a missing or damaged file, a bad
/// value) into one line on stderr and exit code 1, without a stack trace.
/// </summary>
internal static class UserErrors
{
    public static int Run(Func<int> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"quantunet: {e.Message}");
            return 1;
        }
    }
}
