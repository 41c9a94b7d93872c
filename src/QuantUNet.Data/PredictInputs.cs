namespace QuantUNet.Data;

/// <summary>
/// What counts as an image to score for <c>quantunet predict</c> and batch scoring: one image file, or a folder's image
/// files found recursively, leaving out masks and anything under the output folder.
/// </summary>
public static class PredictInputs
{
    /// <summary>The image file, or the folder's image files in ordinal order, leaving out masks and anything under the output folder.</summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no image file.</exception>
    public static List<string> Find(string input, string outDirectory)
    {
        if (File.Exists(input)) return [input];
        if (!Directory.Exists(input))
            throw new FileNotFoundException($"--input {input}: no such image file or folder.", input);
        var outPrefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDirectory)) + Path.DirectorySeparatorChar;
        var files = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
            .Where(f => IsImageName(f) && !Path.GetFullPath(f).StartsWith(outPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new ArgumentException($"--input {input}: no image files ({string.Join(", ", ImageFolderDataset.Extensions)}) in the folder.");
        return files;
    }

    /// <summary>The folder output paths mirror: the input folder, or an input file's own folder.</summary>
    public static string Root(string input) => File.Exists(input) ? Path.GetDirectoryName(Path.GetFullPath(input))! : input;

    /// <summary>An image file by name: one of <see cref="ImageFolderDataset.Extensions"/>, not named as a mask.</summary>
    public static bool IsImageName(string path) =>
        ImageFolderDataset.Extensions.Contains(Path.GetExtension(path).ToLowerInvariant())
        && !Path.GetFileNameWithoutExtension(path).EndsWith(ImageFolderDataset.MaskSuffix, StringComparison.OrdinalIgnoreCase);
}
