using System.Numerics;
using QuantUNet.Integer.Engine;

namespace QuantUNet.Integer;

/// <summary>
/// The one rule by which an image whose sides are not multiples of a model's size multiple (16 for QuantU-Net's four
/// 2x2 poolings) is scored and trained: it is padded at the bottom and on the right up to the next multiples, and the
/// outputs are cropped back to the image's own size. The padding is zero in the model's normalised domain: each plane
/// (one channel of one image) is filled with the raw value its normalisation maps to 0, which is 0 for
/// <see cref="PixelNormalization.UnitRange"/> and the plane's own minimum for <see cref="PixelNormalization.PerImageMinMax"/>
/// (so the stretch of the real pixels is the unpadded image's). The first layer's input code of every padded pixel is
/// therefore 0, the same as the convolutions' own zero border. The integer engine, the TorchSharp scorer and the ML.NET
/// trainer all pad through this type, so every path pads the same pixels with the same values.
/// </summary>
public readonly record struct ImagePadding
{
    /// <summary>The padding of a <paramref name="height"/> x <paramref name="width"/> image for a network whose sides must be multiples of <paramref name="multiple"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or the multiple is not positive.</exception>
    public static ImagePadding For(int height, int width, int multiple)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(multiple);
        return new ImagePadding(height, width, RoundUp(height, multiple), RoundUp(width, multiple));
    }

    private ImagePadding(int height, int width, int paddedHeight, int paddedWidth)
    {
        Height = height;
        Width = width;
        PaddedHeight = paddedHeight;
        PaddedWidth = paddedWidth;
    }

    /// <summary>The image's height in pixels.</summary>
    public int Height { get; }

    /// <summary>The image's width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height the network runs at: <see cref="Height"/> rounded up to the size multiple.</summary>
    public int PaddedHeight { get; }

    /// <summary>The width the network runs at: <see cref="Width"/> rounded up to the size multiple.</summary>
    public int PaddedWidth { get; }

    /// <summary>True when a side is not a multiple already, so images are copied into a larger buffer.</summary>
    public bool IsNeeded => PaddedHeight != Height || PaddedWidth != Width;

    /// <summary>Pixels of one plane of the image.</summary>
    public int Pixels => Height * Width;

    /// <summary>Pixels of one plane of the padded image.</summary>
    public int PaddedPixels => PaddedHeight * PaddedWidth;

    /// <summary>
    /// Copies planes (any number: channels of one image, or images one after another) of <see cref="Height"/> x
    /// <see cref="Width"/> into planes of <see cref="PaddedHeight"/> x <see cref="PaddedWidth"/>, each filled at the
    /// bottom and on the right with the value <paramref name="normalization"/> maps to 0.
    /// </summary>
    /// <exception cref="ArgumentException">The spans do not hold the same number of whole planes.</exception>
    public void Pad<T>(ReadOnlySpan<T> planes, Span<T> padded, PixelNormalization normalization) where T : INumber<T>
    {
        int count = Planes(planes.Length, Pixels, padded.Length, PaddedPixels);
        for (int plane = 0; plane < count; plane++)
        {
            var source = planes.Slice(plane * Pixels, Pixels);
            var destination = padded.Slice(plane * PaddedPixels, PaddedPixels);
            destination.Fill(normalization == PixelNormalization.PerImageMinMax ? InputQuantizer.Min(source) : T.Zero);
            for (int y = 0; y < Height; y++)
                source.Slice(y * Width, Width).CopyTo(destination.Slice(y * PaddedWidth, Width));
        }
    }

    /// <summary>Copies the top-left <see cref="Height"/> x <see cref="Width"/> of each padded plane (an output map per image) into <paramref name="cropped"/>.</summary>
    /// <exception cref="ArgumentException">The spans do not hold the same number of whole planes.</exception>
    public void Crop<T>(ReadOnlySpan<T> padded, Span<T> cropped)
    {
        int count = Planes(cropped.Length, Pixels, padded.Length, PaddedPixels);
        for (int plane = 0; plane < count; plane++)
        {
            for (int y = 0; y < Height; y++)
                padded.Slice(plane * PaddedPixels + y * PaddedWidth, Width).CopyTo(cropped.Slice(plane * Pixels + y * Width, Width));
        }
    }

    private static int RoundUp(int size, int multiple) => checked((size + multiple - 1) / multiple * multiple);

    private static int Planes(int values, int pixels, int paddedValues, int paddedPixels)
    {
        int count = values / pixels;
        if (values % pixels != 0 || paddedValues != count * paddedPixels)
            throw new ArgumentException($"{values} values of {pixels}-pixel planes do not match {paddedValues} values of {paddedPixels}-pixel padded planes.");
        return count;
    }
}
