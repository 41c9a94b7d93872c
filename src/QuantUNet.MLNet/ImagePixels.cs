using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet;

/// <summary>
/// Turns an <see cref="MLImage"/> into the values QuantU-Net uses, with the rules of <c>QuantUNet.Data.ImageFile</c>:
/// a pixel's grey value is its value when R = G = B, else the luminance 0.299 R + 0.587 G + 0.114 B; alpha is ignored.
/// Both byte orders ML.NET produces are read (decoded files arrive as Bgra32).
/// </summary>
internal static class ImagePixels
{
    /// <summary>
    /// The current row's image from an ML.NET image getter, or an error naming the column and the row. ML.NET's loader
    /// refuses a file that is not an image without naming it, and for an empty path its resizer hands back the previous
    /// row's image, already disposed, instead of null; both become one clear message.
    /// </summary>
    public static MLImage Fetch(ValueGetter<MLImage> getter, ref MLImage image, string column, string role, long row)
    {
        try
        {
            getter(ref image);
        }
        catch (ArgumentException e)
        {
            throw ColumnErrors.InRow(column, role, row, $"the image could not be loaded, is the file an image? ({e.Message})");
        }
        if (image is null || IsDisposed(image))
            throw ColumnErrors.InRow(column, role, row, "no image (an empty path?).");
        return image;
    }

    /// <summary>Planar floats in [0, 1]: 1 channel is the grey value, 3 are R, G, B.</summary>
    public static void ToPlanar(MLImage image, int channels, Span<float> destination)
    {
        var (red, blue) = ChannelOffsets(image);
        var pixels = image.Pixels;
        int count = image.Width * image.Height;
        for (int i = 0; i < count; i++)
        {
            byte r = pixels[4 * i + red], g = pixels[4 * i + 1], b = pixels[4 * i + blue];
            if (channels == 1)
            {
                destination[i] = Grey(r, g, b) / 255f;
            }
            else
            {
                destination[i] = r / 255f;
                destination[count + i] = g / 255f;
                destination[2 * count + i] = b / 255f;
            }
        }
    }

    /// <summary>Grey values rounded to bytes, one per pixel, row-major.</summary>
    public static void ToGrey(MLImage image, Span<byte> destination)
    {
        var (red, blue) = ChannelOffsets(image);
        var pixels = image.Pixels;
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (byte)MathF.Round(Grey(pixels[4 * i + red], pixels[4 * i + 1], pixels[4 * i + blue]));
    }

    /// <summary>A grey image: 255 where <paramref name="foreground"/> is set, 0 elsewhere, opaque.</summary>
    public static MLImage FromMask(ReadOnlySpan<bool> foreground, int height, int width)
    {
        var pixels = new byte[4 * height * width];
        for (int i = 0; i < foreground.Length; i++)
        {
            byte value = foreground[i] ? (byte)255 : (byte)0;
            pixels[4 * i] = pixels[4 * i + 1] = pixels[4 * i + 2] = value;
            pixels[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
    }

    /// <summary>MLImage has no IsDisposed: a disposed one throws this on any property.</summary>
    private static bool IsDisposed(MLImage image)
    {
        try
        {
            return image.Width < 0;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Where red and blue sit in a 4-byte pixel; green is always at 1.</summary>
    private static (int Red, int Blue) ChannelOffsets(MLImage image) => image.PixelFormat switch
    {
        MLPixelFormat.Bgra32 => (2, 0),
        MLPixelFormat.Rgba32 => (0, 2),
        var other => throw new NotSupportedException($"MLImage pixel format {other} is not read; expected Bgra32 or Rgba32."),
    };

    private static float Grey(byte r, byte g, byte b) => r == g && g == b ? r : 0.299f * r + 0.587f * g + 0.114f * b;
}
