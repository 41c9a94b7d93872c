using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A quantizer's width for one pass: the bits b (carrying the straight-through gradient), the largest code N(b) of its
/// range, and b as an integer.
/// </summary>
/// <param name="Bits">b, a whole-valued scalar tensor.</param>
/// <param name="Bound">N(b) = <see cref="IntegerRangeBounds.Max"/>(b).</param>
/// <param name="Current">b as an integer.</param>
internal readonly record struct QuantizerWidth(Tensor Bits, Tensor Bound, int Current)
{
    /// <summary>
    /// The widths of many quantizers in one computation: <see cref="LearnedBitwidth.Bits"/> and
    /// <see cref="IntegerRangeBounds.Max"/> elementwise on the stacked offsets, so the same float32 operations on the same
    /// values, and the same gradients, in about ten tensor operations instead of about ten a quantizer. A training step
    /// of the U-Net needs 46 widths; every tensor operation costs microseconds of dispatch and autograd bookkeeping
    /// whatever its size.
    /// </summary>
    public static QuantizerWidth[] Of(IReadOnlyList<Quantizer> quantizers)
    {
        using var scope = NewDisposeScope();
        var bits = LearnedBitwidth.Stacked(quantizers.Select(q => q.Bitwidth).ToList());
        // N(b) = 2^(b - sign bits) - 1, as IntegerRangeBounds.Max computes it one range at a time.
        var signBits = tensor(quantizers.Select(q => (float)q.Range.SignBits()).ToArray(), device: bits.device);
        var bounds = exp2(bits.Minus(signBits)).Minus(1);
        using var values = bits.detach();
        var current = values.data<float>().ToArray();
        var (eachBits, eachBound) = (bits.unbind(0), bounds.unbind(0));
        return quantizers.Select((_, i) => new QuantizerWidth(
            eachBits[i].MoveToOuterDisposeScope(), eachBound[i].MoveToOuterDisposeScope(), (int)current[i])).ToArray();
    }

    /// <summary>One quantizer's width, computed on its own.</summary>
    public static QuantizerWidth Of(Quantizer quantizer) => Of([quantizer])[0];
}
