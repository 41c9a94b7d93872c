using System.Text;
using QuantUNet.Integer.Format;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// An exclusive lock on an output folder, so that two runs never write into one folder: the hidden file
/// <see cref="FileName"/> in it, opened unshared (an OS file lock, flock on Linux and macOS, which the kernel releases when
/// the process ends, crash included). Its holder writes a line naming itself into <see cref="HolderFileName"/> for the
/// message a second writer gets. Taking it first proves the folder writable (a byte written to a probe file) before any
/// data is read. A folder the lock
/// created and nothing else wrote into is removed again on release, so a run that failed leaves nothing behind.
/// </summary>
internal sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".quantunet.lock", HolderFileName = ".quantunet.lock.holder";

    private readonly FileStream _lock;
    private readonly string _folder;
    private readonly bool _created;

    private RunFolderLock(FileStream held, string folder, bool created)
    {
        _lock = held;
        _folder = folder;
        _created = created;
    }

    /// <param name="option">The option that named the folder, for messages: "--out".</param>
    /// <exception cref="IOException">The folder is a file, cannot be created or written, or another run holds it; the message names the option and folder.</exception>
    public static RunFolderLock Acquire(string folder, string option)
    {
        if (File.Exists(folder))
            throw new IOException($"{option} {folder}: is a file, not a folder.");
        bool created = !Directory.Exists(folder);
        FileStream? held = null;
        try
        {
            Directory.CreateDirectory(folder);
            // A byte written and flushed (unbuffered) proves the folder writable and not full; the lock below then fails only on a holder.
            using (var probe = new FileStream(Path.Combine(folder, $".quantunet.probe.{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None,
                       bufferSize: 0, FileOptions.DeleteOnClose))
                probe.WriteByte(0);
            try
            {
                held = new FileStream(Path.Combine(folder, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                throw new IOException($"{option} {folder}: another quantunet run is writing there ({Holder(folder)}); wait for it to end, or choose another folder.");
            }
            var holder = $"pid {Environment.ProcessId}: quantunet {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}, since {DateTime.UtcNow:u}";
            // Atomic, like every file the project writes: a second run reading it sees the whole line or none.
            AtomicFile.WriteAllBytes(Path.Combine(folder, HolderFileName), Encoding.UTF8.GetBytes(holder));
            return new RunFolderLock(held, folder, created);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held?.Dispose();
            if (created) RemoveIfOnlyTheLock(folder);
            throw e.Message.StartsWith(option, StringComparison.Ordinal) ? e : new IOException($"{option} {folder}: cannot write there ({Cause(e, folder)}).", e);
        }
    }

    /// <summary>Whether <paramref name="path"/> is one of the lock's own files, which a check for an empty folder leaves out.</summary>
    public static bool IsLockFile(string path) => Path.GetFileName(path) is FileName or HolderFileName;

    public void Dispose()
    {
        _lock.Dispose();
        if (_created) RemoveIfOnlyTheLock(_folder);
    }

    private static void RemoveIfOnlyTheLock(string folder)
    {
        try
        {
            if (Directory.EnumerateFileSystemEntries(folder).Any(entry => !IsLockFile(entry))) return;
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaning up after a failed run must not hide why it failed.
        }
    }

    private static string Holder(string folder)
    {
        try
        {
            var line = File.ReadAllText(Path.Combine(folder, HolderFileName)).Trim();
            return line.Length > 0 ? $"held by {line}" : "its holder has not written its name yet";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "its holder has not written its name yet";
        }
    }

    /// <summary>.NET's message without the path it often appends (" : '/path'"), which the message names already.</summary>
    private static string Cause(Exception e, string folder)
    {
        var message = e.Message.TrimEnd('.');
        int quoted = message.IndexOf(" : '", StringComparison.Ordinal);
        return quoted > 0 ? message[..quoted] : message.Replace(folder, "the folder", StringComparison.Ordinal);
    }
}
