using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;
using QuantUNet.Integer;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// Images whose sides are not multiples of 16 train and score: padded by <see cref="ImagePadding"/> for the network,
/// outputs cropped back to the image's own size, the same in every engine and every door.
/// </summary>
[TestClass]
public sealed class AnyImageSizeTests
{
    private static readonly MLContext MLContext = new(seed: 1);
    private static readonly Dictionary<(int Height, int Width), (IReadOnlyList<SegmentationSample> Samples, QuantUNetTransformer Model)> Trained = [];

    public static IEnumerable<object[]> Sizes => [[100, 100], [250, 300]];

    private static IReadOnlyList<SegmentationSample> Slices(int height, int width, int count) =>
        new SyntheticMriGenerator(new() { Size = new ImageSize(height, width), Seed = 3, SlicesPerPatient = 4 }).Generate(count);

    [ClassCleanup]
    public static void CleanUp()
    {
        foreach (var (_, model) in Trained.Values)
            model.Dispose();
    }

    /// <summary>Four slices of <paramref name="height"/> x <paramref name="width"/> and a model trained on them, made once for the class.</summary>
    private static (IReadOnlyList<SegmentationSample> Samples, QuantUNetTransformer Model) TrainedAt(int height, int width)
    {
        lock (Trained)
        {
            if (!Trained.TryGetValue((height, width), out var trained))
            {
                var samples = Slices(height, width, 4);
                Trained[(height, width)] = trained = (samples, Fit(TestData.Vectors(MLContext, samples, [1, height, width])));
            }
            return trained;
        }
    }

    /// <summary>A tiny quantized model trained on <paramref name="data"/>: two float warm-start epochs, then a quantization-aware one
    /// (one float epoch alone can leave logits of exactly 0 everywhere).</summary>
    private static QuantUNetTransformer Fit(IDataView data, Action<QuantUNetTrainer.Options>? change = null)
    {
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.Epochs = 3;
        options.FloatWarmStartEpochs = 2;
        options.LearningRate = 1e-2;
        change?.Invoke(options);
        return MLContext.Segmentation().Trainers.QuantUNet(options).Fit(data);
    }

    [TestMethod]
    [DynamicData(nameof(Sizes))]
    public void ImagesOfAnySizeScoreAtTheirOwnSizeAlikeInTransformPredictionEngineAndIntegerMode(int height, int width)
    {
        var (samples, model) = TrainedAt(height, width);
        var data = TestData.Vectors(MLContext, samples, [1, height, width]);
        using var fakeQuantized = model.WithScoringMode(ScoringMode.FakeQuantized);
        using var integer = model.WithScoringMode(ScoringMode.Integer);

        var scored = fakeQuantized.Transform(data);
        var scoreType = (VectorDataViewType)scored.Schema["Score"].Type;
        var labelType = (VectorDataViewType)scored.Schema["PredictedLabel"].Type;
        CollectionAssert.AreEqual(new[] { height, width }, scoreType.Dimensions.ToArray());
        CollectionAssert.AreEqual(new[] { height, width }, labelType.Dimensions.ToArray());
        var scores = scored.GetColumn<float[]>("Score").ToList();
        var masks = scored.GetColumn<bool[]>("PredictedLabel").ToList();
        var integerScored = integer.Transform(data);
        var integerScores = integerScored.GetColumn<float[]>("Score").ToList();
        var integerMasks = integerScored.GetColumn<bool[]>("PredictedLabel").ToList();

        var schema = SchemaDefinition.Create(typeof(TestData.VectorRow));
        schema["Image"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, height, width);
        schema["Label"].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, height, width);
        using var predictionEngine = MLContext.Model.CreatePredictionEngine<TestData.VectorRow, PipelineTests.Prediction>(fakeQuantized, inputSchemaDefinition: schema);
        var engine = new IntegerEngine(model.Package.IntegerModel!);
        int pixels = height * width, zeros = 0;
        for (int image = 0; image < samples.Count; image++)
        {
            Assert.AreEqual(pixels, scores[image].Length);
            var prediction = predictionEngine.Predict(new TestData.VectorRow { Image = samples[image].Image, Label = samples[image].Mask });
            CollectionAssert.AreEqual(scores[image], prediction.Score, $"image {image}: Transform and PredictionEngine");
            CollectionAssert.AreEqual(masks[image], prediction.PredictedLabel, $"image {image}: Transform and PredictionEngine");

            // The integer engine, given the unpadded image, pads it itself: the transformer's integer scores are its own.
            var accumulators = new int[pixels];
            var probabilities = new float[pixels];
            engine.Predict(samples[image].Image, height, width, new byte[pixels], accumulators, probabilities);
            CollectionAssert.AreEqual(probabilities, integerScores[image], $"image {image}: integer mode and the integer engine");
            for (int pixel = 0; pixel < pixels; pixel++)
            {
                if (accumulators[pixel] == 0)
                    zeros++; // an exact logit of 0 is background in integer mode; float32 may round it either side
                else
                    Assert.AreEqual(masks[image][pixel], integerMasks[image][pixel], $"image {image}, pixel {pixel}, accumulator {accumulators[pixel]}");
            }
        }
        Assert.IsLessThan(samples.Count * pixels / 100, zeros, "exactly-zero accumulators are rare");
    }

    [TestMethod]
    public void OutputsAreTheCroppedOutputsOfTheZeroPaddedImage()
    {
        var (samples, model) = TrainedAt(100, 100);
        var padding = ImagePadding.For(100, 100, 16);
        Assert.AreEqual((112, 112), (padding.PaddedHeight, padding.PaddedWidth));
        var image = samples[0].Image;
        var padded = new float[padding.PaddedPixels];
        padding.Pad<float>(image, padded, PixelNormalization.UnitRange);
        Assert.AreEqual(0f, padded[^1], "zero padding of [0, 1] pixels under UnitRange");

        foreach (var mode in new[] { ScoringMode.FakeQuantized, ScoringMode.Integer })
        {
            using var own = SegmentationScorer.Create(model.Package, mode, 100, 100);
            using var large = SegmentationScorer.Create(model.Package, mode, 112, 112);
            var (scores, foreground) = (new float[100 * 100], new bool[100 * 100]);
            var (paddedScores, paddedForeground) = (new float[112 * 112], new bool[112 * 112]);
            own.Score(image, 1, scores, foreground);
            large.Score(padded, 1, paddedScores, paddedForeground);
            var (expectedScores, expectedForeground) = (new float[100 * 100], new bool[100 * 100]);
            padding.Crop<float>(paddedScores, expectedScores);
            padding.Crop<bool>(paddedForeground, expectedForeground);

            CollectionAssert.AreEqual(expectedScores, scores, mode.ToString());
            CollectionAssert.AreEqual(expectedForeground, foreground, mode.ToString());
        }
    }

    [TestMethod]
    public void FlatVectorTrainsAndScoresWithImageHeightAndWidth()
    {
        const int height = 20, width = 36;
        var samples = Slices(height, width, 2);
        var schema = SchemaDefinition.Create(typeof(TestData.VectorRow));
        schema["Image"].ColumnType = new VectorDataViewType(NumberDataViewType.Single); // variable size: the column says no shape
        schema["Label"].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, height, width);
        var flat = MLContext.Data.LoadFromEnumerable(samples.Select(s => new TestData.VectorRow { Image = s.Image, Label = s.Mask }), schema);
        var shaped = TestData.Vectors(MLContext, samples, [1, height, width]);

        using var model = Fit(flat, o => (o.ImageHeight, o.ImageWidth) = (height, width));

        Assert.AreEqual((height, width), (model.ImageHeight, model.ImageWidth));
        var flatScores = model.Transform(flat).GetColumn<float[]>("Score").ToList();
        var shapedScores = model.Transform(shaped).GetColumn<float[]>("Score").ToList();
        for (int image = 0; image < samples.Count; image++)
            CollectionAssert.AreEqual(shapedScores[image], flatScores[image], $"image {image}: a flat vector is the planar [1, H, W] image");
    }

    [TestMethod]
    public void FlatVectorWithoutImageHeightIsRefusedNamingTheOptions()
    {
        var samples = TestData.Slices(2);
        var data = TestData.Vectors(MLContext, samples, [TestData.Size * TestData.Size]);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(data));
        var wrongSize = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(data, o => (o.ImageHeight, o.ImageWidth) = (TestData.Size, 16)));

        StringAssert.Contains(error.Message, "image column 'Image'");
        StringAssert.Contains(error.Message, "QuantUNetTrainer.Options.ImageHeight and ImageWidth");
        StringAssert.Contains(wrongSize.Message, $"512 values, 1x{TestData.Size}x16 images");
    }

    [TestMethod]
    public void InterleavedVectorIsNamedAsSuchNotBlamedOnTheMask()
    {
        var samples = TestData.Slices(2);
        var schema = SchemaDefinition.Create(typeof(TestData.VectorRow));
        schema["Image"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, TestData.Size, TestData.Size, 3); // ExtractPixels(interleavePixelColors: true)
        schema["Label"].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, TestData.Size, TestData.Size);
        var data = MLContext.Data.LoadFromEnumerable(
            samples.Select(s => new TestData.VectorRow { Image = [.. s.Image, .. s.Image, .. s.Image], Label = s.Mask }), schema);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(data, o => o.ImageChannels = 3));

        StringAssert.Contains(error.Message, "image column 'Image'");
        StringAssert.Contains(error.Message, "interleaved pixels [H, W, C]");
        StringAssert.Contains(error.Message, "interleavePixelColors: false");
        Assert.DoesNotContain("label column", error.Message);
    }

    [TestMethod]
    public void ImageHeightWithoutImageWidthIsRefusedNamingTheField()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => MLContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options { ImageHeight = 100 }));
        var negative = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MLContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options { ImageHeight = 0, ImageWidth = 4 }));

        Assert.AreEqual("ImageWidth", error.ParamName);
        StringAssert.Contains(error.Message, "QuantUNetTrainer.Options.ImageHeight and QuantUNetTrainer.Options.ImageWidth go together");
        StringAssert.Contains(negative.Message, "QuantUNetTrainer.Options.ImageHeight is 0");
    }
}
