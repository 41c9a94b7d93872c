using QuantUNet.Data;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// Images as 8-bit pixels, the integer engine's natural input, and as the [0, 1] tensors TorchSharp
/// models take (p / 255 in the tensor's type), so both see the same images.
/// </summary>
public static class EightBitImages
{
    /// <summary>The samples' pixels rounded to p / 255, back to back (planar, as the samples hold them).</summary>
    public static byte[] From(IReadOnlyList<SegmentationSample> samples) =>
        samples.SelectMany(s => s.Image).Select(x => (byte)Math.Round(Math.Clamp(x, 0f, 1f) * 255)).ToArray();

    /// <summary>[count, channels, height, width] of p / 255.</summary>
    public static Tensor ToTensor(byte[] pixels, int count, int channels, int height, int width, ScalarType type)
    {
        using var bytes = tensor(pixels, [count, channels, height, width]);
        return bytes.to_type(type).DivideInPlace(255);
    }
}
