using QuantUNet.Integer.Engine;

namespace QuantUNet.Integer.Tests;

[TestClass]
public sealed class FixedPointMultiplierTests
{
    [TestMethod]
    public void FromScalesRoundsAProductOrAQuotientExactlyAsIeeeDoubleArithmeticDoes()
    {
        var random = new Random(1);
        for (int i = 0; i < 20000; i++)
        {
            double a = Math.Exp(random.NextDouble() * 20 - 12), b = Math.Exp(random.NextDouble() * 20 - 12);
            Assert.AreEqual(a * b, FixedPointMultiplier.FromScales(a, b, 1).Value, $"{a:R} * {b:R}");
            Assert.AreEqual(a / b, FixedPointMultiplier.FromScales(a, 1, b).Value, $"{a:R} / {b:R}");
        }
    }

    [TestMethod]
    public void FromScalesBreaksAnExactTieToTheEvenMantissa()
    {
        // (1 + 2^-52) * 1.5 = 1.5 + 2^-52 + 2^-53: exactly half-way between two 53-bit mantissas, the lower odd.
        var m = FixedPointMultiplier.FromScales(1 + Math.ScaleB(1, -52), 1.5, 1);
        Assert.AreEqual(1.5 + Math.ScaleB(1, -51), m.Value);
        Assert.AreEqual(0, m.Mantissa & 1);
    }

    [TestMethod]
    [DataRow(1, 0)] [DataRow(2, 1)] [DataRow(3, 2)] [DataRow(5, 2)] [DataRow(7, 4)] [DataRow(9, 4)] [DataRow(-3, 0)] [DataRow(0, 0)]
    public void RequantizeRoundsHalfAMultipleOfOneHalfToEven(int accumulator, int expected)
    {
        var half = FixedPointMultiplier.FromScales(0.5, 1, 1);
        Assert.AreEqual(expected, half.Requantize(accumulator, 255), $"{accumulator} * 0.5");
    }

    [TestMethod]
    public void RequantizeClampsAtTheLargestCode()
    {
        var m = FixedPointMultiplier.FromScales(0.75, 1, 1);
        Assert.AreEqual(7, m.Requantize(int.MaxValue, 7));
        Assert.AreEqual(6, m.Requantize(8, 7));
    }

    [TestMethod]
    public void TheFastRequantizerEqualsExactRoundingEverywhereIncludingNearTies()
    {
        var random = new Random(2);
        var multipliers = new List<FixedPointMultiplier>
        {
            FixedPointMultiplier.FromScales(0.5, 1, 1), FixedPointMultiplier.FromScales(0.375, 1, 1),
            FixedPointMultiplier.FromScales(Math.ScaleB(1, -60), 1, 1), FixedPointMultiplier.FromScales(1000, 1, 1),
        };
        for (int i = 0; i < 60; i++) multipliers.Add(FixedPointMultiplier.FromScales(Math.Exp(random.NextDouble() * 16 - 14), 1, 1));
        foreach (int bits in new[] { 1, 2, 4, 8 })
        {
            var requantizer = new Requantizer(multipliers, bits);
            for (int channel = 0; channel < multipliers.Count; channel++)
            {
                var m = multipliers[channel];
                foreach (int accumulator in Accumulators(random, m))
                    Assert.AreEqual(ExactRounding.Requantize(accumulator, m, requantizer.Max), requantizer.Apply(accumulator, channel), $"{accumulator} * {m}, {bits} bits");
            }
        }
    }

    /// <summary>Random values, extremes, and the neighbours of every accumulator whose product lands near k + 1/2.</summary>
    private static IEnumerable<int> Accumulators(Random random, FixedPointMultiplier m)
    {
        foreach (int value in new[] { int.MinValue, -1, 0, 1, 2, 3, int.MaxValue }) yield return value;
        for (int i = 0; i < 200; i++) yield return random.Next(int.MinValue, int.MaxValue);
        for (int code = 0; code < 260; code++)
        {
            double tie = (code + 0.5) / m.Value;
            if (tie > int.MaxValue - 2) yield break;
            for (long a = (long)tie - 1; a <= (long)tie + 2; a++) yield return (int)a;
        }
    }
}
