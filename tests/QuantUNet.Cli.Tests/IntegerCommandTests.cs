using System.Text.Json;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class IntegerCommandTests
{
    /// <summary>bench without --model trains its own small model, exports it, and measures the three paths on the same images.</summary>
    [TestMethod]
    public void BenchWritesEveryPromisedFigureAndTheIntegerModel()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-bench").FullName;
        try
        {
            var result = CommandRunner.Run("bench", "--out", directory, "--images", "4", "--size", "32", "--threads", "2");
            Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "bench.json")));
            var root = report.RootElement;
            foreach (var path in new[] { "torchFloat.imagesPerSecond", "fakeQuant.imagesPerSecond", "integer.imagesPerSecond", "onnxFloat.imagesPerSecond", "onnxQdq.imagesPerSecond" })
                Assert.IsGreaterThan(0.0, Field(root, path).GetDouble(), path);
            Assert.AreEqual(32, root.GetProperty("imageSize").GetInt32());
            Assert.AreEqual(2, root.GetProperty("threads").GetInt32());
            var integer = root.GetProperty("integer");
            // Against the float64 twin only exactly-zero logits may differ (their float sign is noise); against float32 also rare near-ties.
            Assert.AreEqual(integer.GetProperty("float64MaskDifferencesAtZero").GetInt64(), integer.GetProperty("float64MaskDifferences").GetInt64());
            Assert.IsLessThan(1e-6, integer.GetProperty("float64MaxAccumulatorError").GetDouble());
            long beyondZero = integer.GetProperty("maskDifferences").GetInt64() - integer.GetProperty("maskDifferencesAtZero").GetInt64();
            Assert.IsLessThanOrEqualTo(4L, beyondZero, "at most 0.1% of the 4096 pixels");
            Assert.IsTrue(integer.GetProperty("maxAccumulatorError").GetDouble() >= 0);
            Assert.IsGreaterThan(0L, Field(integer, "float32Codes.codes").GetInt64());
            long integerBytes = integer.GetProperty("modelBytes").GetInt64(), floatBytes = Field(root, "float.modelBytes").GetInt64();
            Assert.AreEqual(new FileInfo(Path.Combine(directory, "model.qint")).Length, integerBytes);
            Assert.IsGreaterThan(integerBytes, floatBytes);
            // Where the integer accumulator is exactly 0 the exact logit is 0 and either mask is right (a briefly trained model
            // can have a few such pixels); beyond those, ONNX Runtime's fused QDQ kernels round a near-tie activation one step
            // the other way now and then.
            var qdq = Field(root, "onnxQdq.againstInteger");
            long qdqBeyondZero = qdq.GetProperty("maskDifferences").GetInt64() - qdq.GetProperty("maskDifferencesAtZero").GetInt64();
            Assert.IsLessThanOrEqualTo(8L, qdqBeyondZero, "at most 0.2% of the 4096 pixels beyond exactly-zero logits");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void AMissingOrDamagedModelFailsWithOneLineAndNoStackTrace()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-export").FullName;
        try
        {
            var missing = Path.Combine(directory, "missing.qunet");
            var damaged = Path.Combine(directory, "damaged.qunet");
            File.WriteAllText(damaged, "not a model");
            foreach (var (arguments, expected) in new[]
            {
                (new[] { "export", "--model", missing, "--out", Path.Combine(directory, "m.qint") }, $"{missing}: no such model file."),
                (new[] { "export", "--model", damaged, "--out", Path.Combine(directory, "m.qint") }, $"{damaged}: not a QuantU-Net model ("),
                (new[] { "bench", "--out", directory, "--size", "40" }, "--size 40: the side must be a positive multiple of 16, at most 8192."),
            })
            {
                var result = CommandRunner.Run(arguments);
                Assert.AreEqual(1, result.ExitCode, string.Join(' ', arguments));
                StringAssert.Contains(result.Error, expected);
                Assert.AreEqual(1, result.Error.Trim().Split('\n').Length, $"one line, no stack trace: {result.Error}");
            }
            Assert.IsFalse(File.Exists(Path.Combine(directory, "m.qint")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static JsonElement Field(JsonElement root, string path) =>
        path.Split('.').Aggregate(root, (element, name) => element.GetProperty(name));
}
