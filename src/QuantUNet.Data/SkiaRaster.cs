using System.Runtime.InteropServices;
using SkiaSharp;

namespace QuantUNet.Data;

/// <summary>
/// The one in-memory pixel form every reader decodes to, so that all sources share one resize and one conversion to
/// planes: a premultiplied RGBA <see cref="SKBitmap"/> in RGBA8888 (8-bit and 1-bit files), RGBA16161616 (16-bit TIFF,
/// keeping its precision through Skia's resize) or RGBA F32 (float slices such as NIfTI).
/// </summary>
internal static class SkiaRaster
{
    /// <summary>The sample value that means full intensity in a bitmap of this colour type: 255, 65535 or 1.</summary>
    public static float FullScale(SKBitmap bitmap) => bitmap.ColorType switch
    {
        SKColorType.Rgba8888 => byte.MaxValue,
        SKColorType.Rgba16161616 => ushort.MaxValue,
        SKColorType.RgbaF32 => 1f,
        var other => throw new InvalidOperationException($"No reader produces {other} bitmaps."),
    };

    /// <summary>A bitmap holding <paramref name="rgba"/>, laid out in the colour type's native RGBA samples, row by row.</summary>
    public static SKBitmap Create(SKColorType colorType, int width, int height, byte[] rgba)
    {
        var info = new SKImageInfo(width, height, colorType, SKAlphaType.Premul);
        if (info.BytesSize != rgba.Length)
            throw new InvalidOperationException($"{rgba.Length} bytes for a {width}x{height} {colorType} bitmap of {info.BytesSize}.");
        var bitmap = new SKBitmap(info);
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>Resizes with Skia's high-quality filter (mipmapped when shrinking, bicubic when enlarging), keeping the colour type.</summary>
    public static SKBitmap Resize(SKBitmap bitmap, ImageSize size, string path) =>
        bitmap.Resize(new SKImageInfo(size.Width, size.Height, bitmap.ColorType, SKAlphaType.Premul), SKFilterQuality.High)
        ?? throw new InvalidOperationException($"{path}: Skia could not resize {bitmap.Width}x{bitmap.Height} to {size.Width}x{size.Height}.");

    /// <summary>Resizes planar floats through an RGBA F32 bitmap, so float sources take the same filter as files.</summary>
    public static PlanarImage Resize(PlanarImage image, ImageSize size, string name)
    {
        if (image.Channels is not (1 or 3))
            throw new ArgumentException($"{name}: only 1- or 3-channel images are resized, not {image.Channels}.", nameof(image));
        int count = image.Height * image.Width;
        var rgba = new byte[4 * sizeof(float) * count];
        var samples = MemoryMarshal.Cast<byte, float>(rgba.AsSpan());
        for (int i = 0; i < count; i++)
        {
            for (int c = 0; c < 3; c++)
                samples[4 * i + c] = image.Pixels[(image.Channels == 1 ? 0 : c * count) + i];
            samples[4 * i + 3] = 1f;
        }
        using var bitmap = Create(SKColorType.RgbaF32, image.Width, image.Height, rgba);
        using var resized = Resize(bitmap, size, name);
        var planar = ToPlanar(resized, image.Channels);
        // Float samples are not clamped by Skia, and bicubic enlarging overshoots at edges.
        foreach (ref float pixel in planar.Pixels.AsSpan())
            pixel = Math.Clamp(pixel, 0f, 1f);
        return planar;
    }

    /// <summary>
    /// Planar floats in [0, 1]: sample / <see cref="FullScale"/>. One channel takes each pixel's <see cref="Grey"/> value;
    /// three take R, G, B.
    /// </summary>
    public static PlanarImage ToPlanar(SKBitmap bitmap, int channels)
    {
        var rgb = RgbValues(bitmap);
        float fullScale = FullScale(bitmap);
        int count = bitmap.Width * bitmap.Height;
        var pixels = new float[channels * count];
        for (int i = 0; i < count; i++)
        {
            float r = rgb[i], g = rgb[count + i], b = rgb[2 * count + i];
            if (channels == 1)
            {
                pixels[i] = Grey(r, g, b) / fullScale;
            }
            else
            {
                pixels[i] = r / fullScale;
                pixels[count + i] = g / fullScale;
                pixels[2 * count + i] = b / fullScale;
            }
        }
        return new PlanarImage(channels, bitmap.Height, bitmap.Width, pixels);
    }

    /// <summary>Each pixel's <see cref="Grey"/> value rounded to the nearest sample level, in the bitmap's own units.</summary>
    public static int[] GreyLevels(SKBitmap bitmap)
    {
        var rgb = RgbValues(bitmap);
        int count = bitmap.Width * bitmap.Height;
        var grey = new int[count];
        for (int i = 0; i < count; i++)
            grey[i] = (int)MathF.Round(Grey(rgb[i], rgb[count + i], rgb[2 * count + i]));
        return grey;
    }

    /// <summary>Each pixel's alpha, in the bitmap's own sample units.</summary>
    public static int[] AlphaLevels(SKBitmap bitmap)
    {
        var samples = Samples(bitmap);
        var alpha = new int[samples.Length / 4];
        for (int i = 0; i < alpha.Length; i++)
            alpha[i] = (int)samples[4 * i + 3];
        return alpha;
    }

    /// <summary>Sets <paramref name="mask"/> to 1 where an 8-bit bitmap's premultiplied RGBA differs from <paramref name="colour"/>.</summary>
    public static void MarkOtherThan(SKBitmap bitmap, SKColor colour, Span<byte> mask)
    {
        var samples = Samples(bitmap);
        for (int i = 0; i < mask.Length; i++)
            mask[i] = samples[4 * i] != colour.Red || samples[4 * i + 1] != colour.Green || samples[4 * i + 2] != colour.Blue || samples[4 * i + 3] != colour.Alpha
                ? (byte)1 : (byte)0;
    }

    /// <summary>
    /// Grey value of a pixel: its value when R = G = B, else the luminance 0.299 R + 0.587 G + 0.114 B.
    /// Exact for grey pixels, so grey files round-trip without float rounding.
    /// </summary>
    public static float Grey(float r, float g, float b) =>
        r == g && g == b ? r : 0.299f * r + 0.587f * g + 0.114f * b;

    /// <summary>The R, G and B planes in the bitmap's own sample units (alpha, already multiplied in, is dropped).</summary>
    private static float[] RgbValues(SKBitmap bitmap)
    {
        var rgba = Samples(bitmap);
        int count = rgba.Length / 4;
        var planes = new float[3 * count];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < 3; c++)
                planes[c * count + i] = rgba[4 * i + c];
        return planes;
    }

    /// <summary>The RGBA samples, pixel by pixel, in the bitmap's own units.</summary>
    private static float[] Samples(SKBitmap bitmap)
    {
        // Copied through GetPixels (an IntPtr in SkiaSharp 2 and 3): GetPixelSpan changed its return type in SkiaSharp 3,
        // which the CLI loads for its figures, so calling it from this assembly (built against 2.88) fails there.
        var bytes = new byte[bitmap.ByteCount];
        Marshal.Copy(bitmap.GetPixels(), bytes, 0, bytes.Length);
        return bitmap.ColorType switch
        {
            SKColorType.Rgba8888 => ToFloats<byte>(bytes),
            SKColorType.Rgba16161616 => ToFloats(MemoryMarshal.Cast<byte, ushort>(bytes)),
            SKColorType.RgbaF32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            var other => throw new InvalidOperationException($"No reader produces {other} bitmaps."),
        };
    }

    private static float[] ToFloats<T>(ReadOnlySpan<T> samples) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        var floats = new float[samples.Length];
        for (int i = 0; i < samples.Length; i++)
            floats[i] = float.CreateTruncating(samples[i]);
        return floats;
    }
}
