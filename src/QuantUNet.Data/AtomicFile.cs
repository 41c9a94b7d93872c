namespace QuantUNet.Data;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a crash or exception mid-write never
/// leaves a truncated file under the final name (the rename is atomic within one folder).
/// </summary>
public static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";

    /// <summary>
    /// Deletes the temporary siblings that writes of <paramref name="path"/> left behind when their process was killed
    /// before the rename; the file itself, whole or absent, is left alone.
    /// </summary>
    public static void DeleteUnfinishedWrites(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath);
        if (folder is null || !Directory.Exists(folder)) return;
        foreach (var temporary in Directory.EnumerateFiles(folder, $".{Path.GetFileName(fullPath)}.*{TemporarySuffix}")) File.Delete(temporary);
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"{path}: has no parent folder to write into.", nameof(path));
        Directory.CreateDirectory(folder);
        // Same folder as the target: a rename across file systems would not be atomic.
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                stream.Write(bytes);
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
