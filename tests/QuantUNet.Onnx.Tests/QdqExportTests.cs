using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// The QDQ export scored by ONNX Runtime against the integer engine on the same float images (see
/// <see cref="EngineAgreement"/>), at any batch and image size, and from several threads at once.
/// </summary>
[TestClass]
public sealed class QdqExportTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void TheTrainedModelScoresInOnnxRuntimeAsTheIntegerEngineDoes() => AssertAgreement(TinyModels.Trained, QdqWeightStorage.Int8);

    [TestMethod]
    public void EveryWidthFromTwoToEightScoresAsTheIntegerEngineDoes() => AssertAgreement(TinyModels.Mixed, QdqWeightStorage.Int8);

    [TestMethod]
    public void Int4WeightsScoreTheSameAndMakeTheFileSmaller()
    {
        var model = TinyModels.Mixed;
        var int4 = QdqExporter.Export(model, QdqWeightStorage.Int4);
        var int8 = QdqExporter.Export(model);
        var constants = int4.Graph.Node.Where(n => n.OpType == "Constant").Select(n => n.Output[0]).ToList();
        var narrow = model.Layers.Where(l => l.WeightBits <= 4).Select(l => $"{l.Name}_weight_codes").ToList();
        CollectionAssert.AreEquivalent(narrow, constants, "exactly the layers of at most 4 weight bits are int4 constants");
        Assert.IsTrue(int4.Graph.Node.Where(n => n.OpType == "Constant").All(n => n.Attribute[0].T.DataType == (int)TensorProto.Types.DataType.Int4));
        Assert.IsLessThan(int8.CalculateSize(), int4.CalculateSize());
        AssertAgreement(model, QdqWeightStorage.Int4);
    }

    [TestMethod]
    public void AnyBatchAndImageSizeIsScored()
    {
        var model = ScaledModels.MiniUNet(seed: 1);
        var qdq = QdqExporter.Export(model);
        foreach (var (count, height, width) in new[] { (1, 16, 16), (3, 24, 40), (2, 64, 32) })
            EngineAgreement.Check(model, qdq, ScaledModels.Images(seed: height + width, count, height, width), count, height, width, TestContext, $"{count} x {height}x{width}");
    }

    [TestMethod]
    public void PerImageMinMaxNormalisationIsPartOfTheGraph()
    {
        var model = ScaledModels.MiniUNet(seed: 2, PixelNormalization.PerImageMinMax);
        var images = ScaledModels.Images(seed: 3, count: 4, 32, 32);
        // A darker, lower-contrast copy and a constant image: a min-max model must see the first as the original.
        var dim = images.Take(1024).Select(p => 0.1f + 0.25f * p).ToArray();
        var all = images.Concat(dim).Concat(Enumerable.Repeat(0.4f, 1024)).ToArray();
        EngineAgreement.Check(model, QdqExporter.Export(model), all, 6, 32, 32, TestContext, "per-image min-max");
        Assert.IsTrue(QdqExporter.Export(model).Graph.Node.Any(n => n.OpType == "ReduceMin"));
    }

    [TestMethod]
    public void ScoringFromSeveralThreadsEqualsSequentialScoring()
    {
        var model = TinyModels.Trained;
        var images = TinyModels.Validation;
        int plane = TinyModels.Size * TinyModels.Size;
        using var session = OnnxRuntimeScoring.Session(QdqExporter.Export(model));
        float[] One(int i) => OnnxRuntimeScoring.Logits(session, images[(i * plane)..((i + 1) * plane)], 1, 1, TinyModels.Size, TinyModels.Size);
        var sequential = Enumerable.Range(0, TinyModels.Images).Select(One).ToArray();
        var parallel = new float[TinyModels.Images][];
        Parallel.For(0, 4 * TinyModels.Images, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i % TinyModels.Images] = One(i % TinyModels.Images));
        for (int i = 0; i < TinyModels.Images; i++) CollectionAssert.AreEqual(sequential[i], parallel[i], $"image {i}");
    }

    [TestMethod]
    public void TheFileNeedsNothingButOnnxRuntimeAndStatesItsContract()
    {
        var qdq = QdqExporter.Export(TinyModels.Trained);
        var bytes = qdq.ToByteArray();
        using var session = new InferenceSession(bytes);
        Assert.AreEqual(OnnxTensorNames.Image, session.InputMetadata.Keys.Single());
        Assert.AreEqual(OnnxTensorNames.Logits, session.OutputMetadata.Keys.Single());
        CollectionAssert.AreEqual(new[] { -1, 1, -1, -1 }, session.InputMetadata[OnnxTensorNames.Image].Dimensions);
        Assert.AreEqual(13, qdq.OpsetImport.Single().Version);
        Assert.AreEqual(TinyModels.Trained.ScoreScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            qdq.MetadataProps.Single(p => p.Key == "quantunet.scoreScale").Value);
        // Every weight is stored as int8 codes (no float weight anywhere), every bias as int32 codes.
        var initializers = qdq.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var layer in TinyModels.Trained.Layers)
        {
            Assert.AreEqual((int)TensorProto.Types.DataType.Int8, initializers[$"{layer.Name}_weight_codes"].DataType);
            Assert.AreEqual((int)TensorProto.Types.DataType.Int32, initializers[$"{layer.Name}_bias_codes"].DataType);
        }
        TestContext.WriteLine($"QDQ file {bytes.Length:N0} bytes, .qint {Integer.Format.IntegerModelFile.Serialize(TinyModels.Trained).Length:N0} bytes");
    }

    private void AssertAgreement(IntegerModel model, QdqWeightStorage storage) =>
        EngineAgreement.Check(model, QdqExporter.Export(model, storage), TinyModels.Validation, TinyModels.Images, TinyModels.Size, TinyModels.Size, TestContext,
            $"QDQ {storage}, weight bits {string.Join(",", model.Layers.Select(l => l.WeightBits))}");
}
