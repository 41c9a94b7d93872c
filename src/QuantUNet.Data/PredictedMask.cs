using SkiaSharp;

namespace QuantUNet.Data;

/// <summary>
/// A model-grid 0/1 mask brought back to its image's own size and written as a 0/255 PNG: the mask file of
/// <c>quantunet predict</c> and of batch scoring.
/// </summary>
public static class PredictedMask
{
    /// <summary>The end of a predicted mask's file name after the image's name: "_mask.png".</summary>
    public const string FileSuffix = InputImages.MaskSuffix + InputImages.OutputExtension;

    /// <summary>The mask file of the image at <paramref name="relativeImagePath"/>: the same subfolders under <paramref name="outDirectory"/>, its extension replaced by <paramref name="suffix"/>.</summary>
    public static string PathFor(string outDirectory, string relativeImagePath, string suffix = FileSuffix)
    {
        var outputStem = Path.Combine(outDirectory, relativeImagePath);
        return Path.Combine(Path.GetDirectoryName(outputStem)!, Path.GetFileNameWithoutExtension(outputStem)) + suffix;
    }

    /// <summary>Writes (atomically) the <paramref name="side"/>-pixel square <paramref name="mask"/> at <paramref name="height"/>x<paramref name="width"/> and returns that full-size mask.</summary>
    public static byte[] Write(string path, ReadOnlySpan<byte> mask, int side, int height, int width)
    {
        var fullSize = ResizeNearest(mask, side, side, height, width);
        ImageFile.WriteMask(path, new BinaryMask(height, width, fullSize));
        return fullSize;
    }

    /// <summary>A 0/1 mask resized by nearest neighbour, so it stays 0/1 and keeps its blocky model-grid edges.</summary>
    public static byte[] ResizeNearest(ReadOnlySpan<byte> mask, int height, int width, int targetHeight, int targetWidth)
    {
        using var source = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(mask.ToArray(), 0, source.GetPixels(), mask.Length);
        // SKFilterQuality.None is nearest sampling in SkiaSharp 2.88 (this project) and 3.x (the CLI, through ScottPlot) alike.
        using var resized = source.Resize(new SKImageInfo(targetWidth, targetHeight, SKColorType.Gray8, SKAlphaType.Opaque), SKFilterQuality.None)
            ?? throw new InvalidOperationException($"Skia could not resize a {width}x{height} mask to {targetWidth}x{targetHeight}.");
        // GetPixels, not GetPixelSpan: the span's type differs between SkiaSharp 2.88 and 3.x, the pointer does not.
        var pixels = new byte[targetHeight * targetWidth];
        System.Runtime.InteropServices.Marshal.Copy(resized.GetPixels(), pixels, 0, pixels.Length);
        return pixels;
    }
}
