namespace QuantUNet.Data;

/// <summary>
/// The one rule for what counts as an input image file, shared by the dataset reader (<see cref="ImageFolderDataset"/>),
/// <c>quantunet predict</c> and batch scoring, and the checks made on a file before any of it is read.
/// </summary>
/// <remarks>
/// A folder is listed recursively. An entry is an image file when its extension is one of <see cref="Extensions"/> (any
/// case: every format <see cref="ImageFile"/> decodes) and its name does not start with '.' (hidden files, such as
/// macOS's <c>._x.png</c> and half-written temporaries, are left out without a word). Symbolic links are followed, to
/// files and to folders (a folder of links to patient folders is a common way to pick patients), but each real folder is
/// listed once: a link back to a folder already listed (a loop) is reported in <see cref="Listing.Skipped"/>, as are
/// links that are broken or loop and files of 0 bytes by their size (an empty file, or a FIFO, device or socket, which
/// reading would block on or never finish). Every read is bounded: a file larger
/// than <see cref="MaxFileBytes"/> is refused before it is opened.
/// </remarks>
public static class InputImages
{
    /// <summary>
    /// The largest image file read, 1 GiB: an uncompressed 16-bit RGBA TIFF of <see cref="ImageFile.MaxPixels"/> pixels
    /// is half of it. Checked from the file's size before it is opened, so a huge or sparse file costs no memory.
    /// </summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>Name endings of the files <c>predict</c> writes beside each other: a NAME_mask file is never scored again.</summary>
    public const string MaskSuffix = "_mask", OverlaySuffix = "_overlay";

    /// <summary>The extension of the files predict writes.</summary>
    public const string OutputExtension = ".png";

    /// <summary>File extensions read as images: everything SkiaSharp decodes, and TIFF.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ico", ".wbmp", .. TiffDecoder.Extensions];

    /// <summary>A folder entry that looked like an image file but was not read, and why.</summary>
    public sealed record SkippedEntry(string Path, string Reason);

    /// <summary>The image files of a folder, in ordinal order of their paths, and what was left out with a reason.</summary>
    public sealed record Listing(IReadOnlyList<string> Files, IReadOnlyList<SkippedEntry> Skipped)
    {
        /// <summary>One line summing up <see cref="Skipped"/> (a count and the first few, with their reasons); null when nothing was skipped.</summary>
        public string? SkippedSummary(string folder) =>
            Skipped.Count == 0 ? null : $"{folder}: skipped {Count(Skipped.Count, "entry", "entries")} that cannot be read as image files: {FirstFew(Skipped.Select(s => $"{s.Path} ({s.Reason})"))}.";
    }

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/>, ignoring case.</summary>
    /// <param name="path">A file name or path.</param>
    public static bool HasImageExtension(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a file name is a mask (NAME_mask.*) or a predict overlay (NAME_overlay.*), which are not scored as inputs.</summary>
    public static bool IsMaskOrOutput(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        return stem.EndsWith(MaskSuffix, StringComparison.OrdinalIgnoreCase) || stem.EndsWith(OverlaySuffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The image files under <paramref name="folder"/>, recursively, by the rule in the remarks.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static Listing List(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: folder not found.");
        var files = new List<string>();
        var skipped = new List<SkippedEntry>();
        var root = new DirectoryInfo(folder);
        Walk(root, RealPath(root), [RealPath(root)], files, skipped);
        files.Sort(StringComparer.Ordinal);
        skipped.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new Listing(files, skipped);
    }

    /// <summary>
    /// What <c>predict</c> and batch scoring score: <paramref name="input"/> itself when it is a file, else the folder's
    /// image files (<see cref="List"/>) that are neither masks nor earlier outputs (<see cref="IsMaskOrOutput"/>) nor
    /// under <paramref name="outputFolder"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    public static Listing ToScore(string input, string? outputFolder)
    {
        if (File.Exists(input)) return new Listing([input], []);
        if (!Directory.Exists(input))
            throw new FileNotFoundException($"{input}: no such image file or folder.", input);
        var listing = List(input);
        string? outPrefix = outputFolder is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputFolder)) + Path.DirectorySeparatorChar;
        return listing with
        {
            Files = [.. listing.Files.Where(f => !IsMaskOrOutput(f) && (outPrefix is null || !Path.GetFullPath(f).StartsWith(outPrefix, StringComparison.Ordinal)))],
        };
    }

    /// <summary>
    /// The size of the file <paramref name="path"/> (of its target when it is a symbolic link), checked before anything is
    /// opened: it must exist, hold at least one byte and at most <see cref="MaxFileBytes"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A link that loops, 0 bytes (empty, or not a regular file), or too large; the message names the file.</exception>
    public static long CheckedLength(string path)
    {
        var (problem, length) = Inspect(path);
        return problem switch
        {
            null => length,
            Problem.Missing => throw new FileNotFoundException($"{path}: image file not found.", path),
            _ => throw new InvalidDataException($"{path}: {problem.Value.Describe(length)}."),
        };
    }

    /// <summary>Reads a whole file, never more than <see cref="CheckedLength"/> allowed (a file that grows while read is cut there).</summary>
    public static byte[] ReadAllBytes(string path)
    {
        var bytes = new byte[CheckedLength(path)];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return bytes;
    }

    /// <summary>Why a file cannot be read; each but <see cref="TooLarge"/> makes a folder listing skip the file.</summary>
    private enum Problem { Missing, BrokenLink, LinkLoop, ZeroBytes, TooLarge }

    private static string Describe(this Problem problem, long length) => problem switch
    {
        Problem.Missing or Problem.BrokenLink => "a broken symbolic link",
        Problem.LinkLoop => "a symbolic link that loops or cannot be followed",
        Problem.ZeroBytes => "0 bytes (an empty file, or not a regular file: a FIFO, device or socket); not read",
        _ => $"{length} bytes, more than the {MaxFileBytes} an image file may have; refused before reading",
    };

    // stat only: a FIFO or device must not be opened, since opening or reading it can block for ever.
    private static (Problem? Problem, long Length) Inspect(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            try
            {
                if (info.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo target || !target.Exists) return (Problem.BrokenLink, 0);
                info = target;
            }
            catch (IOException)
            {
                return (Problem.LinkLoop, 0);
            }
        }
        if (!info.Exists) return (Problem.Missing, 0);
        if (info.Length == 0) return (Problem.ZeroBytes, 0);
        return (info.Length > MaxFileBytes ? Problem.TooLarge : null, info.Length);
    }

    /// <exception cref="IOException">A link that loops.</exception>
    private static string RealPath(DirectoryInfo folder) =>
        Path.TrimEndingDirectorySeparator((folder.LinkTarget is null ? folder : folder.ResolveLinkTarget(returnFinalTarget: true) ?? folder).FullName);

    /// <param name="realPath">The folder's path with every symbolic link on the way resolved, so that a folder reached twice is seen as one.</param>
    /// <param name="listed">The real paths of the folders listed so far.</param>
    /// <param name="folder">The folder to list.</param>
    /// <param name="files">Receives the image files found.</param>
    /// <param name="skipped">Receives the entries that cannot be read as image files, with reasons.</param>
    private static void Walk(DirectoryInfo folder, string realPath, HashSet<string> listed, List<string> files, List<SkippedEntry> skipped)
    {
        // In ordinal order, so that of two links to one folder the same one is followed on every run and file system.
        foreach (var entry in folder.EnumerateFileSystemInfos().OrderBy(entry => entry.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith('.')) continue;
            if (entry is DirectoryInfo subfolder)
            {
                string real;
                try
                {
                    real = subfolder.LinkTarget is null ? Path.Combine(realPath, subfolder.Name) : RealPath(subfolder);
                }
                catch (IOException)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, Problem.LinkLoop.Describe(0)));
                    continue;
                }
                if (listed.Add(real)) Walk(subfolder, real, listed, files, skipped);
                else skipped.Add(new SkippedEntry(entry.FullName, $"a symbolic link to the folder {real}, listed already; each folder is listed once"));
                continue;
            }
            if (!HasImageExtension(entry.Name)) continue;
            // A file too large stays in: reading it fails naming it, since a huge file in the data is an error, not noise.
            var (problem, length) = Inspect(entry.FullName);
            if (problem is null or Problem.TooLarge) files.Add(entry.FullName);
            else skipped.Add(new SkippedEntry(entry.FullName, problem.Value.Describe(length)));
        }
    }

    internal static string Count(int count, string one, string many) => $"{count} {(count == 1 ? one : many)}";

    /// <summary>The first three items and how many more, for one-line messages.</summary>
    internal static string FirstFew(IEnumerable<string> items)
    {
        var list = items.ToList();
        var shown = string.Join(", ", list.Take(3));
        return list.Count > 3 ? $"{shown} and {list.Count - 3} more" : shown;
    }
}
