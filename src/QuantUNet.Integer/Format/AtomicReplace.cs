namespace QuantUNet.Integer.Format;

/// <summary>
/// Replaces a file in one step: the bytes go to a hidden sibling, are flushed to disk, and the sibling
/// is renamed over the target. A crash leaves the old file or the new one, never a torn one.
/// </summary>
internal static class AtomicReplace
{
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string target = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"{path}: not a file path.", nameof(path));
        Directory.CreateDirectory(folder);
        string sibling = Path.Combine(folder, "." + Path.GetFileName(target) + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".partial");
        try
        {
            using (var stream = new FileStream(sibling, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(sibling, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(sibling)) File.Delete(sibling);
        }
    }
}
