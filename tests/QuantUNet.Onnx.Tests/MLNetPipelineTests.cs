using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.Onnx.Tests;

/// <summary>The QDQ export in an ML.NET pipeline (ApplyOnnxModel over ONNX Runtime), against the integer engine.</summary>
[TestClass]
public sealed class MLNetPipelineTests
{
    private const int Pixels = TinyModels.Size * TinyModels.Size;

    private sealed class Slice
    {
        [ColumnName(OnnxTensorNames.Image), VectorType(1, 1, TinyModels.Size, TinyModels.Size)]
        public float[] Image { get; set; } = [];
    }

    private sealed class Scored
    {
        [ColumnName(OnnxTensorNames.Logits)]
        public float[] Logits { get; set; } = [];
    }

    [TestMethod]
    public void ApplyOnnxModelScoresTheQdqExportAsTheIntegerEngineDoes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quantunet-qdq-{Environment.ProcessId}.onnx");
        try
        {
            File.WriteAllBytes(path, QdqExporter.Export(TinyModels.Trained).ToByteArray());
            var ml = new MLContext(seed: 1);
            var images = TinyModels.Validation;
            var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, TinyModels.Images).Select(i => new Slice { Image = images[(i * Pixels)..((i + 1) * Pixels)] }));
            var pipeline = ml.Transforms.ApplyOnnxModel([OnnxTensorNames.Logits], [OnnxTensorNames.Image], path,
                new Dictionary<string, int[]> { [OnnxTensorNames.Image] = [1, 1, TinyModels.Size, TinyModels.Size] }, gpuDeviceId: null, fallbackToCpu: false);
            using var transformer = pipeline.Fit(data);
            var logits = ml.Data.CreateEnumerable<Scored>(transformer.Transform(data), reuseRowObject: false).SelectMany(s => s.Logits).ToArray();
            Assert.HasCount(TinyModels.Images * Pixels, logits);
            CollectionAssert.AreEqual(OnnxRuntimeScoring.Logits(QdqExporter.Export(TinyModels.Trained), images, TinyModels.Images, 1, TinyModels.Size, TinyModels.Size), logits,
                "ML.NET hands the model to ONNX Runtime unchanged");
            var agreement = TinyModels.Agreement(TinyModels.Trained, logits, images, TinyModels.Images, TinyModels.Size, TinyModels.Size);
            Assert.IsGreaterThanOrEqualTo(EngineAgreement.FusedMaskAgreement, agreement.MaskAgreement, agreement.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
