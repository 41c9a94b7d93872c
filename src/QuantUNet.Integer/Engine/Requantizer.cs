using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantUNet.Integer.Engine;

/// <summary>
/// Requantises one consumer's accumulators: code = clamp(round_half_even(acc * M[c]), 0, 2^b - 1),
/// exactly as <see cref="FixedPointMultiplier.Requantize"/> but with a 64-bit fast path. M is truncated
/// to m = floor(M * 2^n) with n shared by the channels, so acc * M * 2^n = acc * m + d with 0 &lt;= d &lt; acc.
/// The fast result (acc * m + 2^(n-1)) >> n can then only be wrong when the dropped low bits are within
/// acc of a carry, or are exactly zero (a possible tie); those rare cases (about y / 2^30 of them) take
/// the exact 128-bit path. With AVX2, 8 channels are done at once in 64-bit lanes.
/// </summary>
internal sealed unsafe class Requantizer
{
    private const int FastMultiplierBits = 31;
    private const int MaxFastShift = 62;
    private const int Lanes = 8;
    private readonly long[] fast;
    private readonly FixedPointMultiplier[] exact;
    private readonly int shift;
    private readonly long half, lowMask, one;
    private readonly bool exactOnly;

    public Requantizer(IReadOnlyList<FixedPointMultiplier> multipliers, int bits)
    {
        exact = multipliers.ToArray();
        Max = (1 << bits) - 1;
        int smallestShift = exact.Min(m => m.Shift);
        shift = Math.Min(smallestShift - (FixedPointMultiplier.MantissaBits - FastMultiplierBits), MaxFastShift);
        // A multiplier of 2^30 or more is no real network's: such a consumer simply always takes the exact path.
        exactOnly = shift < 1;
        shift = Math.Max(shift, 1);
        one = 1L << shift;
        half = one >> 1;
        lowMask = one - 1;
        fast = Pinned.Copy(exact.Select(m => m.Shift - shift >= 63 ? 0 : m.Mantissa >> (m.Shift - shift)).ToArray());
    }

    /// <summary>The largest code, 2^b - 1.</summary>
    public int Max { get; }

    public int Apply(int accumulator, int channel)
    {
        if (accumulator <= 0) return 0;
        if (exactOnly) return exact[channel].Requantize(accumulator, Max);
        long t = accumulator * fast[channel] + half;
        long low = t & lowMask;
        if (low == 0 || low >= one - accumulator) return exact[channel].Requantize(accumulator, Max);
        long code = t >> shift;
        return code > Max ? Max : (int)code;
    }

    /// <summary>Channels 0..count-1 of one pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(int* accumulators, byte* codes, int count)
    {
        int channel = 0;
        if (Avx2.IsSupported && !exactOnly)
            for (; channel + Lanes <= count; channel += Lanes)
                if (!TryApplyEight(accumulators + channel, codes + channel, channel))
                    for (int c = channel; c < channel + Lanes; c++) codes[c] = (byte)Apply(accumulators[c], c);
        for (; channel < count; channel++) codes[channel] = (byte)Apply(accumulators[channel], channel);
    }

    /// <summary>The fast path for 8 channels; false when a lane needs the exact path.</summary>
    private bool TryApplyEight(int* accumulators, byte* codes, int channel)
    {
        var (low, high) = Vector256.Widen(Vector256.Max(Vector256.Load(accumulators), Vector256<int>.Zero));
        long* multipliers = Pinned.Address(fast) + channel;
        // vpmuludq: both factors are below 2^31, so the low 32 bits of each lane are the whole factor.
        var t0 = Avx2.Multiply(low.AsUInt32(), Vector256.Load(multipliers).AsUInt32()).AsInt64() + Vector256.Create(half);
        var t1 = Avx2.Multiply(high.AsUInt32(), Vector256.Load(multipliers + 4).AsUInt32()).AsInt64() + Vector256.Create(half);
        if (Uncertain(t0, low) || Uncertain(t1, high)) return false;
        var max = Vector256.Create((long)Max);
        var codes32 = Vector256.Narrow(Vector256.Min(Vector256.ShiftRightLogical(t0, shift), max), Vector256.Min(Vector256.ShiftRightLogical(t1, shift), max));
        var codes16 = Vector256.Narrow(codes32, codes32);
        *(ulong*)codes = Vector256.Narrow(codes16, codes16).AsUInt64().ToScalar();
        return true;
    }

    private bool Uncertain(Vector256<long> t, Vector256<long> accumulators)
    {
        var low = t & Vector256.Create(lowMask);
        var risky = Vector256.Equals(low, Vector256<long>.Zero) | Vector256.GreaterThanOrEqual(low, Vector256.Create(one) - accumulators);
        return risky != Vector256<long>.Zero;
    }
}
