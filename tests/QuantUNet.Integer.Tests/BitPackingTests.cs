using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Tests;

[TestClass]
public sealed class BitPackingTests
{
    [TestMethod]
    [DataRow(2)] [DataRow(3)] [DataRow(4)] [DataRow(5)] [DataRow(6)] [DataRow(7)] [DataRow(8)]
    public void RoundTripsEveryValueAtEveryCount(int bits)
    {
        var random = new Random(bits);
        int low = -(1 << (bits - 1)), high = (1 << (bits - 1)) - 1;
        foreach (int count in new[] { 0, 1, 2, 3, 7, 13, 64, 1001 })
        {
            var values = Enumerable.Range(0, count).Select(i => (sbyte)(i < 2 ? (i == 0 ? low : high) : random.Next(low, high + 1))).ToArray();
            var packed = new byte[BitPacking.PackedLength(count, bits)];
            BitPacking.Pack(values, bits, packed);
            Assert.AreEqual((count * bits + 7) / 8, packed.Length, "a value takes exactly its width");
            var unpacked = new sbyte[count];
            BitPacking.Unpack(packed, bits, unpacked);
            CollectionAssert.AreEqual(values, unpacked, $"{count} values at {bits} bits");
        }
    }

    [TestMethod]
    public void LaysFieldsOutLeastSignificantBitFirst()
    {
        var packed = new byte[2];
        BitPacking.Pack(new sbyte[] { 1, -1, 2 }, 3, packed);
        // 001, 111, 010 from bit 0: 0b10_111_001, then the last bit of 010 in the next byte.
        CollectionAssert.AreEqual(new byte[] { 0b1011_1001, 0b0000_0000 }, packed);
    }

    [TestMethod]
    public void RefusesAValueWiderThanItsField()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BitPacking.Pack(new sbyte[] { 4 }, 3, new byte[1]));
        StringAssert.Contains(error.Message, "does not fit in 3 signed bits");
    }

    [TestMethod]
    public void RefusesNonZeroPadding()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => BitPacking.Unpack(new byte[] { 0b1000_0001 }, 3, new sbyte[2]));
        StringAssert.Contains(error.Message, "padding");
    }
}
