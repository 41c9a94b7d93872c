using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// One fitted transformer scored from many threads at once, in integer and fake-quantized modes: each thread's
/// PredictionEngine or Transform gives bit for bit what sequential scoring gives. ML.NET disposes the transformer with
/// every PredictionEngine made from it, so threads finishing early release the engine while others still score.
/// </summary>
[TestClass]
public sealed class ConcurrentScoringTests
{
    private const int Threads = 6;
    private static TempFolder _folder = null!;
    private static MLContext _mlContext = null!;
    private static List<TestData.PathRow> _rows = [];
    private static TransformerChain<QuantUNetTransformer> _model = null!;

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        _folder = new TempFolder();
        _mlContext = new MLContext(seed: 1);
        var rows = TestData.WriteFiles(_folder.Path, 16);
        _rows = [.. rows.Skip(8)];
        _model = (TransformerChain<QuantUNetTransformer>)TestData.FilePipeline(_mlContext, TestData.TinyOptions()).Fit(_mlContext.Data.LoadFromEnumerable(rows.Take(8)));
    }

    [ClassCleanup]
    public static void CleanUp()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    [TestMethod]
    [DataRow(ScoringMode.Integer)]
    [DataRow(ScoringMode.FakeQuantized)]
    public void PredictionEnginesOnManyThreadsEqualSequentialScoring(ScoringMode mode)
    {
        var model = InMode(mode);
        var expected = Sequential(model);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            using var engine = _mlContext.Model.CreatePredictionEngine<TestData.PathRow, PipelineTests.Prediction>(model);
            // Each thread starts at another row and runs a different number of rounds, so engines are disposed while others score.
            for (int call = 0; call < _rows.Count * (1 + thread % 3); call++)
            {
                int row = (thread + call) % _rows.Count;
                var prediction = engine.Predict(_rows[row]);
                CollectionAssert.AreEqual(expected[row].Score, prediction.Score, $"{mode}: thread {thread}, row {row}");
                CollectionAssert.AreEqual(expected[row].PredictedLabel, prediction.PredictedLabel, $"{mode}: thread {thread}, row {row}");
            }
        });
    }

    [TestMethod]
    [DataRow(ScoringMode.Integer)]
    [DataRow(ScoringMode.FakeQuantized)]
    public void TransformsOnManyThreadsEqualSequentialScoring(ScoringMode mode)
    {
        var model = InMode(mode);
        var expected = Sequential(model);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var actual = Sequential(model);
            for (int row = 0; row < _rows.Count; row++)
            {
                CollectionAssert.AreEqual(expected[row].Score, actual[row].Score, $"{mode}: thread {thread}, row {row}");
                CollectionAssert.AreEqual(expected[row].PredictedLabel, actual[row].PredictedLabel, $"{mode}: thread {thread}, row {row}");
            }
        });
    }

    [TestMethod]
    public void DisposingAPredictionEngineReleasesTheSharedTransformersEngine()
    {
        var model = InMode(ScoringMode.Integer);
        using (var engine = _mlContext.Model.CreatePredictionEngine<TestData.PathRow, PipelineTests.Prediction>(model))
        {
            engine.Predict(_rows[0]);
            Assert.IsTrue(model.LastTransformer.HasScorer);
        }
        Assert.IsFalse(model.LastTransformer.HasScorer, "ML.NET disposes the transformer with the PredictionEngine: why scoring must survive a Dispose");
    }

    /// <summary>The fitted chain, its QuantU-Net scoring in <paramref name="mode"/> (a transformer of its own, shared by the threads).</summary>
    private static TransformerChain<QuantUNetTransformer> InMode(ScoringMode mode) =>
        new([.. _model.Take(_model.Count() - 1), _model.LastTransformer.WithScoringMode(mode)]);

    private static List<PipelineTests.Prediction> Sequential(ITransformer model) =>
        [.. _mlContext.Data.CreateEnumerable<PipelineTests.Prediction>(model.Transform(_mlContext.Data.LoadFromEnumerable(_rows)), reuseRowObject: false)];
}
