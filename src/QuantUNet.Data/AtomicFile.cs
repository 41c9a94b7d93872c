namespace QuantUNet.Data;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a crash or exception mid-write never
/// leaves a truncated file under the final name (the rename is atomic within one folder).
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"{path}: has no parent folder to write into.", nameof(path));
        Directory.CreateDirectory(folder);
        // Same folder as the target: a rename across file systems would not be atomic.
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
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
