namespace QuantUNet.Integer.Format;

/// <summary>
/// Signed integers packed at a fixed width: b-bit two's complement fields laid end to end,
/// least significant bit first, in a little-endian bit stream; the last byte's unused high bits are 0.
/// A 3-bit weight takes 3 bits.
/// </summary>
public static class BitPacking
{
    /// <summary>Bytes that <paramref name="count"/> values of <paramref name="bits"/> bits take when packed (rounded up to whole bytes).</summary>
    /// <param name="count">Number of values.</param>
    /// <param name="bits">Width of each value, in bits.</param>
    /// <exception cref="OverflowException">The length exceeds int.MaxValue.</exception>
    public static int PackedLength(int count, int bits) => checked((int)(((long)count * bits + 7) / 8));

    /// <exception cref="ArgumentOutOfRangeException">A value does not fit in <paramref name="bits"/> bits.</exception>
    public static void Pack(ReadOnlySpan<sbyte> values, int bits, Span<byte> destination)
    {
        CheckWidth(bits);
        if (destination.Length != PackedLength(values.Length, bits))
            throw new ArgumentException($"{values.Length} values at {bits} bits take {PackedLength(values.Length, bits)} bytes, not {destination.Length}.", nameof(destination));
        int low = -(1 << (bits - 1)), high = (1 << (bits - 1)) - 1;
        uint mask = (1u << bits) - 1;
        ulong buffer = 0;
        int filled = 0, written = 0;
        foreach (sbyte value in values)
        {
            if (value < low || value > high) throw new ArgumentOutOfRangeException(nameof(values), value, $"{value} does not fit in {bits} signed bits.");
            buffer |= (ulong)((uint)value & mask) << filled;
            filled += bits;
            for (; filled >= 8; filled -= 8, buffer >>= 8) destination[written++] = (byte)buffer;
        }
        if (filled > 0) destination[written] = (byte)buffer;
    }

    /// <exception cref="InvalidDataException">The padding bits of the last byte are not zero.</exception>
    public static void Unpack(ReadOnlySpan<byte> source, int bits, Span<sbyte> values)
    {
        CheckWidth(bits);
        if (source.Length != PackedLength(values.Length, bits))
            throw new ArgumentException($"{values.Length} values at {bits} bits take {PackedLength(values.Length, bits)} bytes, not {source.Length}.", nameof(source));
        int signShift = 32 - bits;
        uint mask = (1u << bits) - 1;
        ulong buffer = 0;
        int filled = 0, read = 0;
        for (int i = 0; i < values.Length; i++)
        {
            for (; filled < bits; filled += 8) buffer |= (ulong)source[read++] << filled;
            // Shift the field to the top of an int and back: arithmetic shift sign-extends it.
            values[i] = (sbyte)((int)(((uint)buffer & mask) << signShift) >> signShift);
            buffer >>= bits;
            filled -= bits;
        }
        if (buffer != 0) throw new InvalidDataException("non-zero padding bits after the last packed value.");
    }

    private static void CheckWidth(int bits)
    {
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Packed widths are 1..8 bits.");
    }
}
