using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace QuantUNet.MLNet.Tests;

/// <summary>The pipeline on image files, fitted once for the whole class.</summary>
[TestClass]
public sealed class PipelineTests
{
    private static TempFolder _folder = null!;
    private static MLContext _mlContext = null!;
    private static IDataView _test = null!;
    private static TransformerChain<QuantUNetTransformer> _model = null!;
    private static List<TestData.PathRow> _testRows = null!;

    /// <summary>What a deployed app has at prediction time: the image, no mask.</summary>
    public sealed class ImageOnly
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];

        public bool[] PredictedLabel { get; set; } = [];
    }

    [ClassInitialize]
    public static void FitOnce(TestContext context)
    {
        _folder = new TempFolder();
        _mlContext = new MLContext(seed: 1);
        var rows = TestData.WriteFiles(_folder.Path, 20);
        var train = _mlContext.Data.LoadFromEnumerable(rows.Take(14));
        _testRows = [.. rows.Skip(14)];
        _test = _mlContext.Data.LoadFromEnumerable(_testRows);
        var options = TestData.TinyOptions();
        options.PredictedMaskImageColumnName = "PredictedMask";
        _model = (TransformerChain<QuantUNetTransformer>)TestData.FilePipeline(_mlContext, options).Fit(train);
    }

    [ClassCleanup]
    public static void CleanUp()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    [TestMethod]
    public void TheScoringModelNeedsOnlyTheImageAndPredictsAsTheFullModel()
    {
        string path = _folder.File("scoring.zip");
        var imageOnly = _mlContext.Data.LoadFromEnumerable(new List<ImageOnly>());
        // The ML.NET way: the image steps, fitted on their own, then the trained transformer.
        var scoring = TestData.ImagePreprocessing(_mlContext).Fit(imageOnly).Append(_model.LastTransformer);
        _mlContext.Model.Save(scoring, imageOnly.Schema, path);
        var expected = _model.Transform(_test).GetColumn<float[]>("Score").First();

        var mlContext = new MLContext();
        mlContext.Segmentation();
        var loaded = mlContext.Model.Load(path, out var inputSchema);
        using var engine = mlContext.Model.CreatePredictionEngine<ImageOnly, Prediction>(loaded);
        var predicted = engine.Predict(new ImageOnly { ImagePath = _testRows[0].ImagePath });

        CollectionAssert.AreEqual(new[] { nameof(ImageOnly.ImagePath) }, inputSchema.Select(c => c.Name).ToArray());
        CollectionAssert.AreEqual(expected, predicted.Score);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void WithScoringModeWorksOnALoadedChain()
    {
        string path = _folder.File("chain.zip");
        _mlContext.Model.Save(_model, _test.Schema, path);
        var loaded = _mlContext.Model.Load(path, out _);
        var byHand = new TransformerChain<ITransformer>([.. _model.Take(_model.Count() - 1), _model.LastTransformer.WithScoringMode(ScoringMode.FakeQuantized)]);

        var chosen = loaded.WithScoringMode(ScoringMode.FakeQuantized);

        var transformers = ((TransformerChain<ITransformer>)chosen).ToList();
        Assert.HasCount(4, transformers); // the image steps' chain, the two mask steps, QuantU-Net
        Assert.AreEqual(ScoringMode.FakeQuantized, transformers.OfType<QuantUNetTransformer>().Single().ScoringMode);
        Assert.AreEqual(_model.LastTransformer.ScoringMode, ((TransformerChain<ITransformer>)loaded).OfType<QuantUNetTransformer>().Single().ScoringMode, "the loaded chain is unchanged");
        CollectionAssert.AreEqual(byHand.Transform(_test).GetColumn<float[]>("Score").SelectMany(s => s).ToArray(),
            chosen.Transform(_test).GetColumn<float[]>("Score").SelectMany(s => s).ToArray());
        var error = Assert.ThrowsExactly<ArgumentException>(() => _model.Skip(1).First().WithScoringMode(ScoringMode.Integer));
        StringAssert.StartsWith(error.Message, "The model (ImageLoadingTransformer) holds no QuantU-Net transformer whose scoring mode could be chosen.");
    }

    [TestMethod]
    public void TransformAddsScoresAndMasksWithTheirDimensions()
    {
        var scored = _model.Transform(_test);

        var score = scored.Schema["Score"].Type as VectorDataViewType;
        var label = scored.Schema["PredictedLabel"].Type as VectorDataViewType;
        Assert.AreEqual(NumberDataViewType.Single, score?.ItemType);
        CollectionAssert.AreEqual(new[] { TestData.Size, TestData.Size }, score!.Dimensions.ToArray());
        Assert.AreEqual(BooleanDataViewType.Instance, label?.ItemType);
        CollectionAssert.AreEqual(new[] { TestData.Size, TestData.Size }, label!.Dimensions.ToArray());
        Assert.AreEqual(new ImageDataViewType(TestData.Size, TestData.Size), scored.Schema["PredictedMask"].Type);

        var scores = scored.GetColumn<float[]>("Score").ToList();
        var masks = scored.GetColumn<bool[]>("PredictedLabel").ToList();
        Assert.HasCount(6, scores);
        Assert.IsTrue(scores.SelectMany(s => s).All(p => p is >= 0 and <= 1), "probabilities lie in [0, 1]");
        for (int row = 0; row < scores.Count; row++)
        {
            for (int i = 0; i < scores[row].Length; i++)
            {
                // The mask is the model's logit > 0; a probability of exactly 0.5 may round either way.
                if (scores[row][i] != 0.5f)
                    Assert.AreEqual(scores[row][i] > 0.5f, masks[row][i]);
            }
        }
    }

    [TestMethod]
    public void PredictedMaskImageMatchesPredictedLabel()
    {
        var scored = _model.Transform(_test);
        var masks = scored.GetColumn<bool[]>("PredictedLabel").ToList();
        using var cursor = scored.GetRowCursor([scored.Schema["PredictedMask"]]);
        var getImage = cursor.GetGetter<MLImage>(scored.Schema["PredictedMask"]);
        MLImage image = null!;
        int row = 0;
        while (cursor.MoveNext())
        {
            getImage(ref image);
            var pixels = image.Pixels;
            for (int i = 0; i < masks[row].Length; i++)
                Assert.AreEqual(masks[row][i] ? 255 : 0, pixels[4 * i]);
            row++;
        }
        Assert.AreEqual(masks.Count, row);
    }

    [TestMethod]
    public void PredictionEngineGivesTheSameScoresAsTransform()
    {
        var scored = _model.Transform(_test);
        var scores = scored.GetColumn<float[]>("Score").ToList();
        var masks = scored.GetColumn<bool[]>("PredictedLabel").ToList();
        using var engine = _mlContext.Model.CreatePredictionEngine<TestData.PathRow, Prediction>(_model);

        var inputs = _mlContext.Data.CreateEnumerable<TestData.PathRow>(_test, reuseRowObject: false).ToList();
        for (int row = 0; row < inputs.Count; row++)
        {
            var prediction = engine.Predict(inputs[row]);
            CollectionAssert.AreEqual(scores[row], prediction.Score, $"row {row}");
            CollectionAssert.AreEqual(masks[row], prediction.PredictedLabel, $"row {row}");
        }
    }

    [TestMethod]
    public void TransformIsLazy()
    {
        using var transformer = new QuantUNetTransformer(_model.LastTransformer.Model);
        var loadAndResize = new TransformerChain<ITransformer>([.. _model.Take(4)]);
        var scored = transformer.Transform(loadAndResize.Transform(_test));

        var paths = scored.GetColumn<string>(nameof(TestData.PathRow.ImagePath)).ToList();

        Assert.HasCount(6, paths);
        Assert.IsFalse(transformer.HasScorer, "reading an input column must not start the scorer");
        scored.GetColumn<float[]>("Score").First();
        Assert.IsTrue(transformer.HasScorer);
    }

    [TestMethod]
    public void DisposedTransformerReloadsItsScorer()
    {
        var transformer = _model.LastTransformer;
        var before = _model.Transform(_test).GetColumn<float[]>("Score").First();

        transformer.Dispose();

        Assert.IsFalse(transformer.HasScorer);
        CollectionAssert.AreEqual(before, _model.Transform(_test).GetColumn<float[]>("Score").First());
    }

    [TestMethod]
    public void ImagesOfAnotherSizeAreRefusedNamingTheColumn()
    {
        var smaller = TestData.Vectors(_mlContext, TestData.Slices(1).Select(s => s with { Image = s.Image[..256], Mask = s.Mask[..256] }), [1, 16, 16]);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _model.LastTransformer.GetOutputSchema(smaller.Schema));

        StringAssert.Contains(error.Message, "image column 'Image'");
        StringAssert.Contains(error.Message, "1x32x32");
        StringAssert.Contains(error.Message, "got 1x16x16");
    }

    [TestMethod]
    public void ExtractPixelsOutputIsAnImageInputToo()
    {
        var pixels = _mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(TestData.PathRow.ImagePath))
            .Append(_mlContext.Transforms.LoadImages("Mask", imageFolder: null, inputColumnName: nameof(TestData.PathRow.MaskPath)))
            .Append(_mlContext.Transforms.ResizeImages("Image", TestData.Size, TestData.Size))
            .Append(_mlContext.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb,
                interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(_mlContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options
            {
                ImageColumnName = "Pixels", LabelColumnName = "Mask", BaseWidth = 4, Epochs = 1, FloatWarmStartEpochs = 0, Seed = 7,
            }));

        using var model = pixels.Fit(_test);

        Assert.AreEqual(3, model.LastTransformer.ImageChannels);
        Assert.HasCount(6, model.Transform(_test).GetColumn<bool[]>("PredictedLabel").ToList());
    }

    [TestMethod]
    public void ExposesLearnedBitwidthsAndSize()
    {
        var transformer = _model.LastTransformer;
        var summary = transformer.Description;
        var bits = summary.Bitwidths;

        Assert.HasCount(23, summary.Layers);
        Assert.IsTrue(summary.Quantized);
        Assert.IsTrue(summary.Layers.All(l => l.WeightBits is >= 2 and <= 8 && l.ActivationBits is >= 2 and <= 8));
        Assert.IsTrue(bits.AverageWeightBits is >= 2 and <= 8);
        Assert.IsLessThan(bits.FloatSizeBytes, bits.SizeBytes);
        Assert.AreEqual(ScoringMode.Integer, transformer.ScoringMode, "the default mode of a quantized model");
        Assert.AreEqual((1, TestData.Size, TestData.Size), (transformer.ImageChannels, transformer.ImageHeight, transformer.ImageWidth));
    }

    [TestMethod]
    public void EvaluatesScoredDataAgainstMaskImages()
    {
        var metrics = _mlContext.Segmentation().Evaluate(_model.Transform(_test), labelColumnName: "Mask");

        Assert.AreEqual(6, metrics.ImageCount);
        Assert.AreEqual(6L * TestData.Size * TestData.Size, metrics.Counts.Total);
        Assert.IsTrue(metrics.PixelAccuracy is > 0 and <= 1);
    }
}
