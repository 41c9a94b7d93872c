// Shared by the scoring examples (linked into each project): which image files a command line names. Not
// QuantUNet.Data's InputImages, the CLI's rule: that one lists folders recursively and takes TIFF, which ML.NET's
// LoadImages cannot decode, and the ONNX example references no QuantUNet assembly.

/// <summary>The images an example scores: one file, or the PNG, JPEG and BMP files of a folder in name order.</summary>
internal static class ImageFiles
{
    /// <summary>The extensions looked for in a folder.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>The file itself (full path), or the folder's images; empty when the folder holds none or the path names nothing.</summary>
    public static List<string> In(string fileOrFolder) =>
        File.Exists(fileOrFolder) ? [Path.GetFullPath(fileOrFolder)]
        : Directory.Exists(fileOrFolder) ? Directory.EnumerateFiles(fileOrFolder).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>Why <see cref="In"/> found nothing, in one line.</summary>
    public static string NoneFound(string fileOrFolder) => Directory.Exists(fileOrFolder)
        ? $"{fileOrFolder}: no images ({string.Join(", ", Extensions)}) in this folder."
        : $"{fileOrFolder}: no such file or folder.";
}

/// <summary>One image file to score.</summary>
internal sealed record ImageFileRow(string ImagePath);
