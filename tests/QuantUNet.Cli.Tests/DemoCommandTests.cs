using System.Text.Json;

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
            Assert.IsTrue(File.Exists(Path.Combine(directory, "report.md")));
            // A real model, not a blank: the quick run must find lesions on held-out patients.
            Assert.IsGreaterThan(0.5, root.GetProperty("float").GetProperty("dice").GetDouble());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void AnUnknownOptionFailsWithOneClearLine()
    {
        var result = CommandRunner.Run("demo", "--size", "12");
        Assert.AreNotEqual(0, result.ExitCode);
        StringAssert.Contains(result.Output + result.Error, "--size");
    }
}
