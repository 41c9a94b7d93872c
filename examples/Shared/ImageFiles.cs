// Shared by the scoring examples (linked into each project): which image files a command line names. Not
// QuantUNet.Data's InputImages, the CLI's rule: that one lists folders recursively and takes TIFF, which ML.NET's
// LoadImages cannot decode, and the ONNX example references no QuantUNet assembly.

/// <summary>The images an example scores: one file, or the PNG, JPEG and BMP files of a folder in name order.</summary>
internal static class ImageFiles
{
    /// <summary>The extensions looked for in a folder.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>
    /// The file itself (full path), or the folder's images; null when there are none, after saying why in one line on
    /// standard error (the path names nothing, or a folder without images).
    /// </summary>
    public static List<string>? ListOrExplain(string fileOrFolder)
    {
        if (File.Exists(fileOrFolder)) return [Path.GetFullPath(fileOrFolder)];
        if (!Directory.Exists(fileOrFolder))
        {
            Console.Error.WriteLine($"{fileOrFolder}: no such file or folder.");
            return null;
        }
        var images = Directory.EnumerateFiles(fileOrFolder).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToList();
        if (images.Count > 0) return images;
        Console.Error.WriteLine($"{fileOrFolder}: no images ({string.Join(", ", Extensions)}) in this folder.");
        return null;
    }
}

/// <summary>One image file to score.</summary>
internal sealed record ImageFileRow(string ImagePath);
