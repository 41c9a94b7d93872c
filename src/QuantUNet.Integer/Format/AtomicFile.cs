namespace QuantUNet.Integer.Format;

/// <summary>
/// The one way this project writes a file: the bytes go to a hidden temporary sibling, are flushed to disk, and the
/// sibling is renamed over the target (atomic within one folder). A crash or exception mid-write leaves the old file or
/// the new one under the final name, never a torn one.
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

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically: a reader sees the old file or the whole new one.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="bytes">The whole content.</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var buffer = bytes.ToArray();
        Write(path, stream => stream.Write(buffer));
    }

    /// <summary>Writes whatever <paramref name="write"/> puts into the stream it is given, atomically, as <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"{path}: has no parent folder to write into.", nameof(path));
        Directory.CreateDirectory(folder);
        // Same folder as the target: a rename across file systems would not be atomic.
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                // Without the flush a power cut after the rename can leave the new name on empty blocks.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
