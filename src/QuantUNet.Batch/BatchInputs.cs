using QuantUNet.Data;

namespace QuantUNet.Batch;

/// <summary>
/// The scans of a batch, as paths relative to <see cref="Root"/>: what <c>quantunet predict</c> would score for the same
/// <c>--input</c> (an image file or a folder), or the image files a list file names, one a line, relative to the list's folder.
/// </summary>
public sealed record BatchInputs(string Root, IReadOnlyList<string> RelativePaths)
{
    /// <exception cref="FileNotFoundException">The input, or a listed scan, does not exist.</exception>
    /// <exception cref="ArgumentException">No scans, or a listed path that is not an image file under the list's folder.</exception>
    public static BatchInputs Find(string input, string outDirectory)
    {
        if (File.Exists(input) && !IsImageName(input)) return FromList(input);
        var root = Path.GetFullPath(File.Exists(input) ? Path.GetDirectoryName(Path.GetFullPath(input))! : input);
        var files = InputImages.ToScore(input, outDirectory).Files;
        if (files.Count == 0) throw new ArgumentException($"--input {input}: no image files ({string.Join(", ", InputImages.Extensions)}) in the folder.");
        return new(root, files.Select(file => Path.GetRelativePath(root, Path.GetFullPath(file))).ToList());
    }

    /// <summary>An image file by name, as <see cref="InputImages"/> counts one: an image extension, not a mask or an earlier output.</summary>
    private static bool IsImageName(string path) => InputImages.HasImageExtension(path) && !InputImages.IsMaskOrOutput(path);

    /// <summary>A text file naming one scan a line (blank lines and lines starting with # are skipped).</summary>
    private static BatchInputs FromList(string list)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(list))!;
        var scans = new List<string>();
        var lines = File.ReadAllLines(list);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var full = Path.GetFullPath(line, root);
            var relative = Path.GetRelativePath(root, full);
            if (!IsImageName(full) || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
                throw new ArgumentException($"--input {list}: line {i + 1} ({line}) is not an image file ({string.Join(", ", InputImages.Extensions)}) under the list's folder.");
            if (!File.Exists(full))
                throw new FileNotFoundException($"--input {list}: line {i + 1} ({line}): no such file.", full);
            scans.Add(relative);
        }
        if (scans.Count == 0) throw new ArgumentException($"--input {list}: the list names no scans.");
        return new(root, scans.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
    }
}
