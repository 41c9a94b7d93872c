using QuantUNet.Integer;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

/// <summary>
/// A tiny QuantU-Net trained a few steps (its bits drop from 8 to 6), a copy of it with every
/// width from 2 to 8 across its layers and non-trivial BatchNorm statistics to fold, exported to integers and scored by the engine against the
/// TorchSharp model's float64 twin (exact to 1e-13 of a step, so every code and mask must match) and
/// against the float32 fake-quant model itself (which differs only where float32 rounding crossed a tie).
/// </summary>
[TestClass]
public sealed class IntegerExportTests
{
    private const int Size = 32, Images = 16;
    private static QuantUNetModel trained = null!, mixed = null!;
    private static byte[] validation = null!, noise = null!;

    [ClassInitialize]
    public static void TrainATinyModel(TestContext _)
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 4, QuantizerLearningRate = 0.1, Seed = 3, Threads = 2 };
        trained = SegmentationTrainer.Train(SegmentationTrainer.CreateModel(TestModels.Tiny(), options.Seed), TestModels.Blobs(32, Size, seed: 1), null, options).Model;
        mixed = Clone(trained);
        SetWidths(mixed, layer => 2 + layer % 7, layer => 2 + (3 * layer + 1) % 7);
        BatchNormStatistics.Randomize(mixed, seed: 5);
        validation = EightBitImages.From(TestModels.Blobs(Images, Size, seed: 2));
        noise = new byte[Images * Size * Size];
        new Random(4).NextBytes(noise);
    }

    [ClassCleanup]
    public static void DisposeModels()
    {
        trained.Dispose();
        mixed.Dispose();
    }

    [TestMethod]
    public void TheExportCarriesEachLayersLearnedWidthsAndPacksTheWeightsAtThem()
    {
        var bits = trained.Bitwidths();
        var exported = IntegerExporter.Export(trained);
        Assert.IsLessThan(8.0, bits.AverageWeightBits, "training should have lowered the widths");
        CollectionAssert.AreEqual(bits.Layers.Select(l => (l.Name, l.WeightBits, l.ActivationBits)).ToList(),
            exported.Layers.Select(l => (l.Name, l.WeightBits, l.ActivationBits)).ToList());
        var mixedExport = IntegerExporter.Export(mixed);
        CollectionAssert.AreEquivalent(Enumerable.Range(2, 7).ToList(), mixedExport.Layers.Select(l => l.WeightBits).Distinct().ToList());
        long bytes = Integer.Format.IntegerModelFile.Serialize(mixedExport).Length;
        long packed = mixed.Bitwidths().SizeBytes;
        // Besides the packed weights and int32 biases: a float64 scale and a 9-byte multiplier per channel and consumer, and the header.
        long perChannel = mixedExport.Layers.Sum(l => l.OutputChannels * (8L + 9L * l.Outputs.Count));
        Assert.IsTrue(bytes > packed + perChannel && bytes < packed + perChannel + 2048, $"{bytes} bytes for {packed} bytes of weights and biases and {perChannel} of scales and multipliers");
    }

    [TestMethod]
    public void TheLayerReplayFollowsTheForwardPassBitForBit()
    {
        using var images = EightBitImages.ToTensor(validation[..(4 * Size * Size)], 4, 1, Size, Size, ScalarType.Float32);
        using var logits = ModelScoring.Logits(trained, images, 4);
        var (inputs, outputs) = LayerReplay.Run(trained, images);
        Assert.IsTrue(outputs[^1].equal(logits).all().item<bool>(), "replaying the layers along the export's wiring must give the forward pass's logits");
        foreach (var tensor in inputs.Concat(outputs)) tensor.Dispose();
    }

    [TestMethod]
    public void EveryLayersAccumulatorsEqualTheFloat64TwinsOutputsExactly()
    {
        foreach (var model in new[] { trained, mixed })
        {
            var exported = IntegerExporter.Export(model);
            var engine = new IntegerEngine(exported);
            using var twin = Float64Twin.Create(model);
            using var images = EightBitImages.ToTensor(validation[..(4 * Size * Size)], 4, 1, Size, Size, ScalarType.Float64);
            var (inputs, outputs) = LayerReplay.Run(twin, images);
            for (int image = 0; image < 4; image++)
            {
                var layers = engine.LayerAccumulators(validation.AsSpan(image * Size * Size, Size * Size), Size, Size);
                for (int i = 0; i < layers.Count; i++)
                {
                    var layer = exported.Layers[i];
                    using var steps = tensor(layer.WeightScales.Select(s => layer.InputScale * s).ToArray()).reshape(-1, 1, 1);
                    using var implied = outputs[i][image] / steps;
                    using var actual = tensor(layers[i]).reshape(implied.shape).to_type(ScalarType.Float64);
                    double error = (implied - actual).abs().max().item<double>();
                    Assert.IsLessThan(1e-6, error, $"{layer.Name}, image {image}: accumulators differ from the twin by {error} steps");
                }
            }
            foreach (var tensor in inputs.Concat(outputs)) tensor.Dispose();
        }
    }

    [TestMethod]
    public void MasksAndFinalAccumulatorsEqualTheFloat64TwinOnEveryPixel()
    {
        foreach (var model in new[] { trained, mixed })
            foreach (var pixels in new[] { validation, noise })
            {
                using var twin = Float64Twin.Create(model);
                var agreement = Compare(twin, IntegerExporter.Export(model), pixels, Images, 1);
                Assert.AreEqual(agreement.MaskDifferencesAtZero, agreement.MaskDifferences, $"masks differ beyond exactly-zero logits: {agreement}");
                Assert.IsLessThan(1e-6, agreement.MaxAccumulatorError, agreement.ToString());
            }
    }

    [TestMethod]
    public void AgainstFloat32FakeQuantOnlyCodesAtNearTiesDifferAndOnlyByOne()
    {
        foreach (var (model, name) in new[] { (trained, "trained"), (mixed, "mixed widths") })
        {
            var exported = IntegerExporter.Export(model);
            using var twin = Float64Twin.Create(model);
            foreach (var (pixels, images) in new[] { (validation, "validation"), (noise, "noise") })
            {
                var agreement = Compare(model, exported, pixels, Images, 1);
                var flips = ActivationCodeFlips.Measure(model, twin, pixels, Images, Size, Size);
                Console.WriteLine($"{name}, {images}: {agreement}; {flips}");
                // The criteria, as measured here: every mask pixel agrees (but where the exact logit is 0 and
                // the float sign is noise), and on the validation images every accumulator is within one LSB.
                Assert.AreEqual(agreement.MaskDifferencesAtZero, agreement.MaskDifferences, "masks differ beyond exactly-zero logits");
                if (images == "validation") Assert.IsLessThanOrEqualTo(1.0, agreement.MaxAccumulatorError);
                // The mechanism: one float32 layer step from exact inputs misses a code only next to a tie, and only by one.
                Assert.IsLessThanOrEqualTo(1e-4 * flips.Codes, flips.Flips, "float32 flips only rare near-ties");
                if (flips.Flips > 0)
                {
                    Assert.AreEqual(1, flips.LargestFlip);
                    Assert.IsLessThan(1e-4, flips.FarthestFromTie);
                }
                if (flips.EndToEndDifferences == 0) Assert.IsLessThanOrEqualTo(1.0, agreement.MaxAccumulatorError, "with every code equal the accumulators agree within an LSB");
            }
        }
    }

    [TestMethod]
    public void RefusesAModelWhoseFinalAccumulatorCouldOverflow()
    {
        using var crafted = Clone(trained);
        var final = crafted.Layers[^1];
        using (no_grad())
        {
            // 8-bit weights and inputs whatever training learned, so the worst case (N * max input * channels) is far above the
            // 2048 codes of headroom left below.
            foreach (var width in new[] { final.WeightQuantizer.Bitwidth, final.InputQuantizer.Bitwidth })
                width.Offset.FillInPlace(width.MaxBits - width.MinBits);
            final.Weight.FillInPlace(1); // every code +N: the worst case adds N * max input * channels
            using var step = Float64Twin.InputStep(final.InputQuantizer, ScalarType.Float32) * final.WeightQuantizer.FakeQuantize(final.Weight).Scale.flatten();
            final.Bias.copy_(step.Times(int.MaxValue - 2048.0));
        }
        var error = Assert.ThrowsExactly<InvalidDataException>(() => IntegerExporter.Export(crafted));
        StringAssert.Contains(error.Message, "layer final: output channel 0 could overflow");
        StringAssert.Contains(error.Message, "does not fit in int32");
    }

    [TestMethod]
    public void TheExportFoldsEachBatchNormIntoItsLayersWeightCodes()
    {
        var exported = IntegerExporter.Export(mixed);
        int changed = 0;
        foreach (var (layer, integer) in mixed.Layers.Zip(exported.Layers).Where(pair => pair.First.Norm is not null))
        {
            using var scope = NewDisposeScope();
            var expected = layer.WeightQuantizer.Integers(layer.FoldedFloatWeights().Weight).to_type(ScalarType.Int8).data<sbyte>().ToArray();
            CollectionAssert.AreEqual(expected, integer.Weights, $"{integer.Name}: the codes are those of the folded weights");
            // A positive gain leaves a channel's max-abs codes as they were; a negative one (gamma < 0) flips them.
            var unfolded = layer.WeightQuantizer.Integers(layer.Weight).to_type(ScalarType.Int8).data<sbyte>().ToArray();
            if (!unfolded.SequenceEqual(integer.Weights)) changed++;
        }
        Assert.IsGreaterThan(0, changed, "the BatchNorms must change some codes, or the test proves nothing");
    }

    [TestMethod]
    public void RefusesTheFloatBaseline()
    {
        using var baseline = TestModels.Create(quantize: false);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => IntegerExporter.Export(baseline)).Message, "quantization off");
    }

    [TestMethod]
    public void AThreeChannelModelStretchingEachImageMatchesItsTwinToo()
    {
        var options = TestModels.Tiny(channels: 3) with { Normalization = PixelNormalization.PerImageMinMax };
        using var model = SegmentationTrainer.CreateModel(options, 5);
        SetWidths(model, layer => 8 - layer % 7, layer => 2 + layer % 7);
        model.eval();
        var random = new Random(6);
        // Every channel spans 10..211: an odd range, so (p - min) * N / range is never a tie.
        var pixels = Enumerable.Range(0, 4 * 3 * Size * Size).Select(i => (byte)(i % (Size * Size) == 0 ? 10 : i % (Size * Size) == 1 ? 211 : 10 + random.Next(202))).ToArray();
        var exported = IntegerExporter.Export(model);
        Assert.AreEqual(PixelNormalization.PerImageMinMax, exported.Header.Normalization);
        using var twin = Float64Twin.Create(model);
        var agreement = Compare(twin, exported, pixels, 4, 3);
        Assert.AreEqual(agreement.MaskDifferencesAtZero, agreement.MaskDifferences);
        Assert.IsLessThan(1e-6, agreement.MaxAccumulatorError, agreement.ToString());
    }

    /// <summary>The engine's final accumulators against a TorchSharp model's logits, in the model's own type.</summary>
    private static IntegerAgreement Compare(QuantUNetModel reference, IntegerModel exported, byte[] pixels, int count, int channels)
    {
        var accumulators = new int[count * Size * Size];
        new IntegerEngine(exported).PredictBatch(pixels, count, Size, Size, default, accumulators);
        using var input = EightBitImages.ToTensor(pixels, count, channels, Size, Size, reference.Layers[0].Weight.dtype);
        using var logits = ModelScoring.Logits(reference, input, 8);
        return IntegerAgreement.Of(accumulators, logits, exported.ScoreScale);
    }

    private static QuantUNetModel Clone(QuantUNetModel model)
    {
        var copy = new QuantUNetModel(model.Options);
        var state = new MemoryStream();
        model.save(state);
        copy.load(new MemoryStream(state.ToArray()));
        copy.eval();
        return copy;
    }

    private static void SetWidths(QuantUNetModel model, Func<int, int> weightBits, Func<int, int> activationBits)
    {
        using var _ = no_grad();
        foreach (var (layer, i) in model.Layers.Select((l, i) => (l, i)))
        {
            layer.WeightQuantizer.Bitwidth.Offset.FillInPlace(weightBits(i) - layer.WeightQuantizer.Bitwidth.MinBits);
            layer.InputQuantizer.Bitwidth.Offset.FillInPlace(activationBits(i) - layer.InputQuantizer.Bitwidth.MinBits);
        }
    }
}
