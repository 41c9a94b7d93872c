namespace QuantUNet.Cli.Tests;

/// <summary><c>export --format</c>: each ONNX form is written from the tiny trained models; a float model has no integer form.</summary>
[TestClass]
public sealed class OnnxExportCommandTests
{
    [TestMethod]
    public void EachFormatIsWrittenAndAFloatModelIsRefusedTheIntegerForms()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-onnx").FullName;
        try
        {
            foreach (var format in new[] { "onnx", "qonnx", "onnx-float" })
            {
                var target = Path.Combine(directory, $"{format}.onnx");
                var result = CommandRunner.Run("export", "--model", TinyRuns.Quantized, "--out", target, "--format", format);
                Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
                StringAssert.StartsWith(result.Output, $"wrote {target} (");
                Assert.IsGreaterThan(1000L, new FileInfo(target).Length);
            }
            var floatModel = TinyRuns.Float;
            Assert.AreEqual(0, CommandRunner.Run("export", "--model", floatModel, "--out", Path.Combine(directory, "float.onnx"), "--format", "onnx-float").ExitCode);
            foreach (var format in new[] { "onnx", "qonnx" })
            {
                var result = CommandRunner.Run("export", "--model", floatModel, "--out", Path.Combine(directory, "refused.onnx"), "--format", format);
                Assert.AreEqual(1, result.ExitCode, format);
                StringAssert.Contains(result.Error, $"{floatModel}: a float baseline (quantization off) has no integer codes");
            }
            var int4 = CommandRunner.Run("export", "--model", floatModel, "--out", Path.Combine(directory, "refused.onnx"), "--format", "qonnx", "--onnx-weights", "int4");
            StringAssert.Contains(int4.Error, "--onnx-weights int4 applies to --format onnx only, not qonnx.");
            Assert.IsFalse(File.Exists(Path.Combine(directory, "refused.onnx")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
