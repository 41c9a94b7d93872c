using System.Text.Json;
using QuantUNet.Cli.Demo;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class DemoCommandTests
{
    [TestMethod]
    public void QuickDemoWritesTheReportWithEveryPromisedField()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-demo").FullName;
        try
        {
            var result = CommandRunner.Run("demo", "--quick", "--out", directory, "--threads", "2");
            Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "report.json")));
            var root = report.RootElement;
            Assert.IsFalse(root.TryGetProperty("seeds", out _), "one seed reports as it always did, without a spread");
            foreach (var model in new[] { "float", "quantized" })
                foreach (var field in new[] { "dice", "iou", "pixelAccuracy", "parameterCount" })
                    Assert.IsTrue(root.GetProperty(model).TryGetProperty(field, out _), $"{model}.{field} missing");
            var quantized = root.GetProperty("quantized");
            var layers = quantized.GetProperty("layers");
            Assert.AreEqual(23, layers.GetArrayLength());
            foreach (var layer in layers.EnumerateArray())
            {
                Assert.IsFalse(string.IsNullOrEmpty(layer.GetProperty("name").GetString()));
                Assert.IsTrue(layer.GetProperty("weightBits").GetInt32() is >= 2 and <= 8);
                Assert.IsTrue(layer.GetProperty("activationBits").GetInt32() is >= 2 and <= 8);
                Assert.IsGreaterThan(0L, layer.GetProperty("parameterCount").GetInt64());
            }
            double averageBits = quantized.GetProperty("averageWeightBits").GetDouble();
            Assert.IsLessThan(8.0, averageBits, "the bitwidth term must have lowered some widths");
            Assert.IsGreaterThan(32.0 / 8, quantized.GetProperty("sizeRatio").GetDouble());
            Assert.IsGreaterThan(0.0, quantized.GetProperty("sizeWeightedWeightBits").GetDouble());
            var timing = root.GetProperty("timing");
            Assert.IsGreaterThan(0.0, timing.GetProperty("quantStepSeconds").GetDouble());
            Assert.IsGreaterThan(0.0, timing.GetProperty("floatStepSeconds").GetDouble());
            Assert.IsTrue(File.Exists(Path.Combine(directory, "quantunet.qint")));
            var integer = root.GetProperty("integer");
            Assert.AreEqual(64, integer.GetProperty("images").GetInt32(), "every held-out slice");
            Assert.IsGreaterThan(0.99, integer.GetProperty("maskAgreement").GetDouble(), "the integer engine follows the fake-quant model");
            Assert.IsGreaterThan(0.5, integer.GetProperty("dice").GetDouble());
            StringAssert.Contains(File.ReadAllText(Path.Combine(directory, "report.md")), "masks agree on");
            var images = ReportCommandTests.LinkedImages(directory);
            CollectionAssert.AreEquivalent(new[] { "training-curves.png", "layer-bits.png", "overlays.png" }, images.Keys.ToArray());
            // 64x64 slices in 192-pixel tiles: input, truth, float, fake-quant, integer; 3 slices with lesions and 1 empty.
            Assert.AreEqual((5 * 198 + 6, 30 + 4 * 198 + 6), images["overlays.png"]);
            // A real model, not a blank: the quick run must find lesions on held-out patients.
            Assert.IsGreaterThan(0.5, root.GetProperty("float").GetProperty("dice").GetDouble());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(-0.0189, "-1.89 points")]
    [DataRow(0.0123, "+1.23 points")]
    [DataRow(-0.00001, "0.00 points", DisplayName = "a loss that rounds to zero has no sign")]
    [DataRow(0.0, "0.00 points")]
    public void DifferencesAreSignedPercentagePoints(double difference, string expected) =>
        Assert.AreEqual(expected, DemoReport.Points(difference));

    [TestMethod]
    public void SpreadOverSeedsIsMeanSampleDeviationAndRange()
    {
        var spread = DemoReport.Spread.Of([0.90, 0.94, 0.92]);

        Assert.AreEqual(0.92, spread.Mean, 1e-12);
        Assert.AreEqual(0.02, spread.StandardDeviation, 1e-12); // sqrt((0.02² + 0.02² + 0) / 2)
        Assert.AreEqual((0.90, 0.94), (spread.Min, spread.Max));
        Assert.AreEqual(0.0, DemoReport.Spread.Of([0.5]).StandardDeviation, "one seed has no spread");
    }

    [TestMethod]
    public void SeedsBelowOneAreRefused()
    {
        var result = CommandRunner.Run("demo", "--seeds", "0", "--out", Path.Combine(Path.GetTempPath(), "quantunet-demo-never-written"));

        Assert.AreEqual(1, result.ExitCode);
        Assert.AreEqual("quantunet: --seeds 0: run the demo for at least one seed.", result.Error.TrimEnd('\n'));
    }

    [TestMethod]
    public void AnUnknownOptionFailsWithOneClearLine()
    {
        var result = CommandRunner.Run("demo", "--size", "12");
        Assert.AreNotEqual(0, result.ExitCode);
        StringAssert.Contains(result.Output + result.Error, "--size");
    }
}
