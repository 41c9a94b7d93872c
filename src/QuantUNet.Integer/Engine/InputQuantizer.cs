using System.Numerics;
using System.Runtime.CompilerServices;

namespace QuantUNet.Integer.Engine;

/// <summary>
/// The first layer's input quantizer (threshold 1, N = 2^b - 1), writing image codes channels-last
/// into the first layer's input. 8-bit pixels are exact integer arithmetic: code = round_half_even(
/// p * N / 255), or (p - min) * N / (max - min) per image channel, through a 256-entry table.
/// Float pixels in [0, 1] are quantized as the trained model's float32 graph does it
/// (u = x / float32(1 / N), then round half to even and clamp), so they get the codes training saw.
/// </summary>
internal sealed class InputQuantizer(IntegerModelHeader header, int bits)
{
    private readonly int max = (1 << bits) - 1;
    private readonly float step = 1f / ((1 << bits) - 1);
    private readonly bool perImage = header.Normalization == PixelNormalization.PerImageMinMax;

    /// <param name="pixels">Planar bytes (0..255) or floats (0..1).</param>
    /// <exception cref="ArgumentException">A float pixel is not finite.</exception>
    /// <param name="workspace">Receives the codes, in the first layer's input buffer.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Quantize<TPixel>(ReadOnlySpan<TPixel> pixels, Workspace workspace) where TPixel : unmanaged, INumber<TPixel>
    {
        bool bytes = typeof(TPixel) == typeof(byte);
        int plane = workspace.Height * workspace.Width;
        var destination = workspace.Inputs[0];
        for (int channel = 0; channel < header.InputChannels; channel++)
        {
            var image = pixels.Slice(channel * plane, plane);
            var table = workspace.Lookup.AsSpan(channel * 256, 256);
            TPixel low = TPixel.Zero, high = bytes ? TPixel.CreateTruncating(byte.MaxValue) : TPixel.One;
            if (perImage) (low, high) = (Min(image), Max(image));
            if (bytes) Tabulate(table, int.CreateTruncating(low), int.CreateTruncating(high));
            for (int i = 0; i < plane; i++)
                destination[Destination(workspace, channel, i)] = bytes ? table[int.CreateTruncating(image[i])] : Code(float.CreateTruncating(image[i]), float.CreateTruncating(low), float.CreateTruncating(high), channel * plane + i);
        }
    }

    /// <summary>round_half_even(numerator / denominator) for a non-negative numerator and positive denominator.</summary>
    public static int DivideRoundingHalfToEven(int numerator, int denominator)
    {
        int quotient = Math.DivRem(numerator, denominator, out int remainder);
        int twice = 2 * remainder;
        return twice > denominator || (twice == denominator && (quotient & 1) == 1) ? quotient + 1 : quotient;
    }

    /// <summary>The codes of pixel values low..high, stretched so that low is 0 and high is N.</summary>
    private void Tabulate(Span<byte> table, int low, int high)
    {
        for (int p = low; p <= high; p++)
            table[p] = high == low ? (byte)0 : (byte)DivideRoundingHalfToEven((p - low) * max, high - low);
    }

    /// <summary>A float pixel's code, by the float32 operations of QuantUNetModel's normalisation and IntQuant, in their order.</summary>
    private byte Code(float pixel, float low, float high, int index)
    {
        if (!float.IsFinite(pixel)) throw new ArgumentException($"Pixel {index} is {pixel}; images must be finite.", "pixels");
        float range = high - low;
        float x = range > 0 ? (pixel - low) / range : 0f;
        return (byte)Math.Clamp(MathF.Round(x / step), 0f, max);
    }

    /// <summary>Where pixel i of a planar channel goes in the first layer's bordered, channels-last input.</summary>
    private int Destination(Workspace workspace, int channel, int pixel)
    {
        var (y, x) = Math.DivRem(pixel, workspace.Width);
        return ((y + 1) * (workspace.Width + 2) + x + 1) * header.InputChannels + channel;
    }

    /// <summary>The smallest value of a plane: what <see cref="PixelNormalization.PerImageMinMax"/> maps to code 0 (also the padding of <see cref="ImagePadding"/>).</summary>
    internal static T Min<T>(ReadOnlySpan<T> values) where T : INumber<T>
    {
        T min = values[0];
        foreach (var v in values) min = T.Min(min, v);
        return min;
    }

    private static T Max<T>(ReadOnlySpan<T> values) where T : INumber<T>
    {
        T max = values[0];
        foreach (var v in values) max = T.Max(max, v);
        return max;
    }
}
