using QuantUNet.Data;
using SkiaSharp;
using QuantUNet.Integer.Format;

namespace QuantUNet.Cli.Report;

/// <summary>Encodes pictures as PNG and writes them atomically, so a crash never leaves half a figure.</summary>
internal static class PngFile
{
    public static void Write(string path, SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"{path}: Skia could not encode the picture as PNG.");
        AtomicFile.WriteAllBytes(path, png.AsSpan());
    }

    public static void Write(string path, ScottPlot.Plot plot, int width, int height) =>
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));

    public static void Write(string path, ScottPlot.Multiplot figure, int width, int height)
    {
        using var image = ScottPlot.IMultiplotExtensions.Render(figure, width, height);
        AtomicFile.WriteAllBytes(path, image.GetImageBytes(ScottPlot.ImageFormat.Png, 100));
    }
}
