using System.Diagnostics;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// A 64 KiB tmpfs mounted for one test, read-only or to be filled: tests run as root in CI, where permission bits stop no
/// write, so a read-only or full file system is the way to make writes fail. Unmounted when disposed.
/// </summary>
internal sealed class TinyMount : IDisposable
{
    private readonly string _path;

    private TinyMount(string path) => _path = path;

    /// <returns>The mount, or null where this process may not mount (not root).</returns>
    public static TinyMount? TryCreate(string path, bool readOnly)
    {
        Directory.CreateDirectory(path);
        return Command("mount", "-t", "tmpfs", "-o", readOnly ? "ro,size=64k" : "size=64k", "tmpfs", path) == 0 ? new TinyMount(path) : null;
    }

    /// <summary>Writes until the file system is full.</summary>
    public void Fill()
    {
        // Unbuffered, so that the write that finds the disk full throws here and not when the file is closed.
        using var file = new FileStream(Path.Combine(_path, "fill"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true) file.Write(block);
        }
        catch (IOException)
        {
            // Full: what the test wants.
        }
    }

    public void Dispose() => Command("umount", _path);

    private static int Command(string name, params string[] arguments)
    {
        var start = new ProcessStartInfo(name) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
