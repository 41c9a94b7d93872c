using System.Numerics;

namespace QuantUNet.Integer;

/// <summary>
/// A positive requantisation multiplier M = Mantissa * 2^-Shift with a 53-bit mantissa (a double's
/// precision), applied to an int32 accumulator with exact round-half-to-even, as <c>torch.round</c>
/// rounds: <c>y = clamp(round_half_even(acc * M), 0, max)</c>. Negative accumulators give 0: the
/// clamp is the network's ReLU.
/// </summary>
public readonly record struct FixedPointMultiplier
{
    /// <summary>Bits of <see cref="Mantissa"/>: 53, a double's precision, so every multiplier is an exact double.</summary>
    public const int MantissaBits = 53;

    /// <summary>Largest shift: keeps the 128-bit product and its shift exact.</summary>
    public const int MaxShift = 126;

    private const long MinMantissa = 1L << (MantissaBits - 1);
    private const long MaxMantissa = (1L << MantissaBits) - 1;

    /// <summary>The multiplier mantissa * 2^-shift.</summary>
    /// <param name="mantissa">In [2^52, 2^53): normalised, top bit set.</param>
    /// <param name="shift">Right shift in bits, 1 to <see cref="MaxShift"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The mantissa or the shift is outside its range.</exception>
    public FixedPointMultiplier(long mantissa, int shift)
    {
        if (mantissa is < MinMantissa or > MaxMantissa)
            throw new ArgumentOutOfRangeException(nameof(mantissa), mantissa, $"A multiplier's mantissa must lie in [2^{MantissaBits - 1}, 2^{MantissaBits}).");
        if (shift is < 1 or > MaxShift)
            throw new ArgumentOutOfRangeException(nameof(shift), shift, $"A multiplier's shift must lie in [1, {MaxShift}].");
        Mantissa = mantissa;
        Shift = shift;
    }

    /// <summary>The 53-bit integer mantissa, in [2^52, 2^53).</summary>
    public long Mantissa { get; }
    /// <summary>The right shift in bits: the multiplier is <see cref="Mantissa"/> * 2^-Shift.</summary>
    public int Shift { get; }

    /// <summary>The multiplier as a double (exact: the mantissa has 53 bits).</summary>
    public double Value => Math.ScaleB(Mantissa, -Shift);

    /// <summary>
    /// The multiplier nearest to <c>inputScale * weightScale / outputScale</c>, computed exactly from the
    /// three doubles as a rational number and rounded once (half to even) to 53 bits.
    /// </summary>
    public static FixedPointMultiplier FromScales(double inputScale, double weightScale, double outputScale)
    {
        var (ma, ea) = Decompose(inputScale, nameof(inputScale));
        var (mb, eb) = Decompose(weightScale, nameof(weightScale));
        var (mc, ec) = Decompose(outputScale, nameof(outputScale));
        BigInteger numerator = ma * mb, denominator = mc;
        int exponent = ea + eb - ec; // value = numerator / denominator * 2^exponent

        // Scale by 2^k so that the quotient has exactly 53 bits, then round the remainder half to even.
        int k = MantissaBits - (int)(numerator.GetBitLength() - denominator.GetBitLength());
        BigInteger quotient, remainder, divisor;
        while (true)
        {
            var (scaledNumerator, scaledDenominator) = k >= 0 ? (numerator << k, denominator) : (numerator, denominator << -k);
            quotient = BigInteger.DivRem(scaledNumerator, scaledDenominator, out remainder);
            divisor = scaledDenominator;
            if (quotient > MaxMantissa) k--;
            else if (quotient < MinMantissa) k++;
            else break;
        }
        int comparison = (remainder * 2).CompareTo(divisor);
        if (comparison > 0 || (comparison == 0 && !quotient.IsEven)) quotient++;
        if (quotient > MaxMantissa) { quotient >>= 1; k--; } // rounded up to 2^53: still exact, one bit less
        int shift = k - exponent;
        if (shift is < 1 or > MaxShift)
            throw new ArgumentOutOfRangeException(nameof(outputScale),
                $"Requantisation multiplier {inputScale:R} * {weightScale:R} / {outputScale:R} is outside the supported range 2^-{MaxShift - MantissaBits + 1} .. 2^{MantissaBits - 2}.");
        return new FixedPointMultiplier((long)quotient, shift);
    }

    /// <summary>Exact <c>clamp(round_half_even(accumulator * M), 0, max)</c>.</summary>
    public int Requantize(int accumulator, int max)
    {
        if (accumulator <= 0) return 0;
        Int128 product = (Int128)accumulator * Mantissa;
        Int128 quotient = product >> Shift;
        Int128 remainder = product - (quotient << Shift);
        Int128 half = Int128.One << (Shift - 1);
        if (remainder > half || (remainder == half && !Int128.IsEvenInteger(quotient))) quotient++;
        return quotient > max ? max : (int)quotient;
    }

    /// <summary>"mantissa * 2^-shift (~value)", for messages and logs.</summary>
    public override string ToString() => $"{Mantissa} * 2^-{Shift} (~{Value:G9})";

    /// <summary>A positive finite double as integer mantissa * 2^exponent.</summary>
    private static (BigInteger Mantissa, int Exponent) Decompose(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, "Scales must be positive and finite.");
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)((bits >> 52) & 0x7FF);
        long fraction = bits & ((1L << 52) - 1);
        return biased == 0 ? (fraction, -1074) : (fraction | (1L << 52), biased - 1075);
    }
}
