using QuantUNet.Data;
using SkiaSharp;

namespace QuantUNet.Cli.Report;

/// <summary>A mask drawn over its image: foreground tinted, its contour in the solid colour, on the grey or RGB pixels.</summary>
internal static class MaskOverlay
{
    private const float TintOpacity = 0.4f;

    /// <summary>An RGBA bitmap of <paramref name="image"/> (1 or 3 channels) with the same-size 0/1 <paramref name="mask"/> drawn over it.</summary>
    public static SKBitmap Render(PlanarImage image, ReadOnlySpan<byte> mask, SKColor colour)
    {
        int height = image.Height, width = image.Width, count = height * width;
        if (mask.Length != count)
            throw new ArgumentException($"A {mask.Length}-pixel mask over a {width}x{height} image.", nameof(mask));
        var rgba = new byte[4 * count];
        for (int i = 0; i < count; i++)
        {
            int y = i / width, x = i % width;
            for (int c = 0; c < 3; c++)
            {
                float value = image.Pixels[(image.Channels == 1 ? 0 : c * count) + i];
                float tint = c == 0 ? colour.Red : c == 1 ? colour.Green : colour.Blue;
                float shown = mask[i] == 0 ? value * 255 : IsContour(mask, y, x, height, width) ? tint : (1 - TintOpacity) * value * 255 + TintOpacity * tint;
                rgba[4 * i + c] = (byte)Math.Clamp(MathF.Round(shown), 0, 255);
            }
            rgba[4 * i + 3] = 255;
        }
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>A foreground pixel with a background 4-neighbour or on the image border.</summary>
    private static bool IsContour(ReadOnlySpan<byte> mask, int y, int x, int height, int width) =>
        y == 0 || x == 0 || y == height - 1 || x == width - 1 ||
        mask[(y - 1) * width + x] == 0 || mask[(y + 1) * width + x] == 0 || mask[y * width + x - 1] == 0 || mask[y * width + x + 1] == 0;
}
