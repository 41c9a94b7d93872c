using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>Which integers a b-bit quantizer may produce.</summary>
public enum IntegerRange
{
    /// <summary>[-(2^(b-1) - 1), 2^(b-1) - 1]: symmetric, so a weight and its negation quantize alike.</summary>
    SignedNarrow,

    /// <summary>[0, 2^b - 1]: post-ReLU activations and image intensities.</summary>
    Unsigned,
}

/// <summary>The integer bounds of a range as differentiable functions of the bitwidth.</summary>
public static class IntegerRangeBounds
{
    /// <summary>
    /// The largest integer N(b); the step of a threshold T is T / N(b). Computed as 2^b on a float
    /// tensor so that it is differentiable in b, as Brevitas does.
    /// </summary>
    public static Tensor Max(this IntegerRange range, Tensor bits) => exp2(bits.Minus(range.SignBits())).Minus(1);

    /// <summary>The smallest integer: -N(b) for the narrow signed range, 0 for unsigned.</summary>
    public static Tensor Min(this IntegerRange range, Tensor bits) => range switch
    {
        IntegerRange.SignedNarrow => -range.Max(bits),
        IntegerRange.Unsigned => zeros_like(bits),
        _ => throw new ArgumentOutOfRangeException(nameof(range)),
    };

    /// <summary>The same bounds for a whole number of bits, for export and the integer engine.</summary>
    public static (long Min, long Max) Bounds(this IntegerRange range, int bits)
    {
        long max = (1L << (bits - range.SignBits())) - 1;
        return (range == IntegerRange.SignedNarrow ? -max : 0, max);
    }

    /// <summary>The bits of a code that carry no magnitude: 1, the sign, for the narrow signed range; 0 for unsigned. N(b) = 2^(b - this) - 1.</summary>
    internal static int SignBits(this IntegerRange range) => range switch
    {
        IntegerRange.SignedNarrow => 1,
        IntegerRange.Unsigned => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(range)),
    };
}
