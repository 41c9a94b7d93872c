using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;

namespace QuantUNet.MLNet.Tests;

/// <summary>ScoringMode.Integer: one tiny quantized model, fitted on vectors, for the whole class.</summary>
[TestClass]
public sealed class IntegerScoringTests
{
    private static MLContext _mlContext = null!;
    private static IReadOnlyList<SegmentationSample> _samples = [];
    private static IDataView _data = null!;
    private static QuantUNetTransformer _model = null!;

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        _mlContext = new MLContext(seed: 1);
        _samples = TestData.Slices(8);
        _data = TestData.Vectors(_mlContext, _samples);
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.FloatWarmStartEpochs = 30; // so that the masks hold foreground
        options.Epochs = 32; // then 2 quantization-aware epochs
        options.LearningRate = 1e-2;
        options.Seed = 1; // a seed whose tiny model ends with foreground in its masks (the comparisons below need some)
        _model = _mlContext.Segmentation().Trainers.QuantUNet(options).Fit(_data);
    }

    [ClassCleanup]
    public static void CleanUp() => _model.Dispose();

    [TestMethod]
    public void IntegerModeGivesTheEnginesMasksAndProbabilities()
    {
        using var integer = _model.WithScoringMode(ScoringMode.Integer);
        var scored = integer.Transform(_data);
        var scores = scored.GetColumn<float[]>("Score").ToList();
        var masks = scored.GetColumn<bool[]>("PredictedLabel").ToList();

        var (engineMasks, _, engineProbabilities) = ScoreWithEngine();
        Assert.AreEqual(ScoringMode.Integer, integer.ScoringMode);
        Assert.AreEqual(ScoringMode.Integer, _model.ScoringMode, "by default a quantized model scores with its integer model");
        for (int image = 0; image < _samples.Count; image++)
        {
            CollectionAssert.AreEqual(engineMasks[image].Select(m => m != 0).ToArray(), masks[image], $"image {image}");
            CollectionAssert.AreEqual(engineProbabilities[image], scores[image], $"image {image}");
        }
        Assert.IsTrue(masks.SelectMany(m => m).Any(p => p), "the model predicts some foreground");
    }

    [TestMethod]
    public void IntegerMasksEqualFakeQuantizedMasksExceptAtExactlyZeroAccumulators()
    {
        using var integer = _model.WithScoringMode(ScoringMode.Integer);
        var integerMasks = integer.Transform(_data).GetColumn<bool[]>("PredictedLabel").ToList();
        var fakeQuantizedMasks = _model.Transform(_data).GetColumn<bool[]>("PredictedLabel").ToList();

        var (_, accumulators, _) = ScoreWithEngine();
        int zeros = 0;
        for (int image = 0; image < _samples.Count; image++)
        {
            for (int pixel = 0; pixel < accumulators[image].Length; pixel++)
            {
                if (accumulators[image][pixel] == 0)
                    zeros++; // an exact logit of 0 is background in integer mode; float32 may round it either side
                else
                    Assert.AreEqual(fakeQuantizedMasks[image][pixel], integerMasks[image][pixel], $"image {image}, pixel {pixel}, accumulator {accumulators[image][pixel]}");
            }
        }
        Assert.IsLessThan(accumulators.Sum(a => a.Length) / 100, zeros, "exactly-zero accumulators are rare");
    }

    [TestMethod]
    public void IntegerModeCanBeChosenAtTraining()
    {
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.ScoringMode = ScoringMode.Integer;
        var data = TestData.Vectors(_mlContext, _samples.Take(4));

        using var model = _mlContext.Segmentation().Trainers.QuantUNet(options).Fit(data);

        Assert.AreEqual(ScoringMode.Integer, model.ScoringMode);
        Assert.IsTrue(model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).All(p => p is >= 0 and <= 1));
    }

    [TestMethod]
    public void FloatBaselineRefusesIntegerMode()
    {
        var data = TestData.Vectors(_mlContext, _samples.Take(4));
        using var model = _mlContext.Segmentation().Trainers.QuantUNet(labelColumnName: "Label", epochs: 1, baseWidth: 4, quantize: false).Fit(data);

        var afterTraining = Assert.Throws<InvalidOperationException>(() => model.WithScoringMode(ScoringMode.Integer));
        var atTraining = Assert.Throws<ArgumentException>(() => _mlContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options
        {
            LabelColumnName = "Label", Quantize = false, ScoringMode = ScoringMode.Integer,
        }));

        StringAssert.Contains(afterTraining.Message, "float baseline, which has no integer form");
        StringAssert.Contains(atTraining.Message, "has no integer form");
    }

    [TestMethod]
    public void ScoringOnlyExampleDeploysNoTorchSharp()
    {
        string output = IntegerScoringExample.OutputFolder;
        Assert.IsTrue(File.Exists(IntegerScoringExample.Dll), $"{IntegerScoringExample.Dll} is built before the tests (a project reference)");
        Assert.IsTrue(File.Exists(Path.Combine(output, "QuantUNet.Integer.dll")));

        var torchFiles = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is var name
                && (name.StartsWith("libtorch", StringComparison.Ordinal) || name.StartsWith("libLibTorchSharp", StringComparison.Ordinal) || name == "TorchSharp.dll"))
            .ToList();
        string dependencies = File.ReadAllText(Path.Combine(output, IntegerScoringExample.Name + ".deps.json"));

        CollectionAssert.AreEqual(Array.Empty<string>(), torchFiles);
        Assert.DoesNotContain("TorchSharp", dependencies);
        Assert.DoesNotContain("QuantUNet.Torch", dependencies);
    }

    /// <summary>Every image scored by an engine loaded straight from the transformer's integer model.</summary>
    private static (byte[][] Masks, int[][] Accumulators, float[][] Probabilities) ScoreWithEngine()
    {
        var engine = new IntegerEngine(_model.Package.IntegerModel!);
        int pixels = TestData.Size * TestData.Size;
        var masks = _samples.Select(_ => new byte[pixels]).ToArray();
        var accumulators = _samples.Select(_ => new int[pixels]).ToArray();
        var probabilities = _samples.Select(_ => new float[pixels]).ToArray();
        for (int image = 0; image < _samples.Count; image++)
            engine.Predict(_samples[image].Image, TestData.Size, TestData.Size, masks[image], accumulators[image], probabilities[image]);
        return (masks, accumulators, probabilities);
    }
}
