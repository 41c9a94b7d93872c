using System.Numerics;

namespace QuantUNet.Integer.Tests;

/// <summary>Independent big-integer versions of the engine's rounding, to check it against.</summary>
internal static class ExactRounding
{
    /// <summary>clamp(round_half_even(accumulator * mantissa / 2^shift), 0, max).</summary>
    public static int Requantize(long accumulator, FixedPointMultiplier multiplier, int max)
    {
        var product = new BigInteger(accumulator) * multiplier.Mantissa;
        var divisor = BigInteger.One << multiplier.Shift;
        return Clamp(Divide(product, divisor), max);
    }

    /// <summary>round_half_even(numerator / denominator), denominator &gt; 0.</summary>
    public static BigInteger Divide(BigInteger numerator, BigInteger denominator)
    {
        var quotient = BigInteger.Divide(numerator, denominator);
        var remainder = numerator - quotient * denominator;
        if (remainder.Sign < 0) { quotient -= 1; remainder += denominator; } // floor division
        int comparison = (remainder * 2).CompareTo(denominator);
        return comparison > 0 || (comparison == 0 && !quotient.IsEven) ? quotient + 1 : quotient;
    }

    public static int Clamp(BigInteger value, int max) => value.Sign <= 0 ? 0 : value > max ? max : (int)value;
}
