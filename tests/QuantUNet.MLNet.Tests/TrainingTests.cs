using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Torch.Training;

namespace QuantUNet.MLNet.Tests;

[TestClass]
public sealed class TrainingTests
{
    [TestMethod]
    public void VectorInputTrainsLogsEveryEpochAndReportsProgress()
    {
        var mlContext = new MLContext(seed: 1);
        var log = new List<string>();
        mlContext.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var progress = new List<TrainingProgress>();
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.Epochs = 2;
        options.Progress = progress.Add;
        options.ValidationSet = TestData.Vectors(mlContext, TestData.Slices(4, seed: 2));

        using var model = mlContext.Segmentation().Trainers.QuantUNet(options).Fit(TestData.Vectors(mlContext, TestData.Slices(8)));

        Assert.IsTrue(log.Any(m => m.Contains("epoch 1/2: loss", StringComparison.Ordinal)), string.Join("\n", log));
        Assert.IsTrue(log.Any(m => m.Contains("epoch 2/2: loss", StringComparison.Ordinal) && m.Contains("validation Dice", StringComparison.Ordinal)));
        Assert.HasCount(4, progress); // 8 images in batches of 4, two epochs
        Assert.AreEqual((2, 2), (progress[^1].Epoch, progress[^1].Step));
        Assert.AreEqual(1, model.ImageChannels);
    }

    [TestMethod]
    public void SameSeedTrainsTheSameModel()
    {
        float[] Scores()
        {
            var mlContext = new MLContext(seed: 1);
            var data = TestData.Vectors(mlContext, TestData.Slices(4));
            var options = TestData.TinyOptions(labelColumn: "Label");
            options.Seed = null; // derived from the MLContext's seed
            using var model = mlContext.Segmentation().Trainers.QuantUNet(options).Fit(data);
            return [.. model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s)];
        }

        CollectionAssert.AreEqual(Scores(), Scores());
    }

    [TestMethod]
    public void FloatBaselineTrainsThroughTheSameApi()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(4));

        using var model = mlContext.Segmentation().Trainers.QuantUNet(labelColumnName: "Label", epochs: 1, baseWidth: 4, quantize: false).Fit(data);

        Assert.AreEqual(ScoringMode.Float, model.ScoringMode);
        Assert.IsFalse(model.Description.Quantized);
        Assert.AreEqual(32, model.Description.Bitwidths.AverageWeightBits);
        Assert.AreEqual(model.Description.Bitwidths.FloatSizeBytes, model.Description.Bitwidths.SizeBytes);
        var scored = model.Transform(data);
        Assert.AreEqual(TestData.Size * TestData.Size, scored.GetColumn<float[]>("Score").First().Length);
    }

    [TestMethod]
    public void QuantizedModelCanScoreWithItsFloatWeights()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(4));
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.ScoringMode = ScoringMode.Float;

        using var model = mlContext.Segmentation().Trainers.QuantUNet(options).Fit(data);

        Assert.AreEqual(ScoringMode.Float, model.ScoringMode);
        Assert.IsTrue(model.Description.Quantized);
        Assert.IsTrue(model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).All(p => p is >= 0 and <= 1));
    }
}
