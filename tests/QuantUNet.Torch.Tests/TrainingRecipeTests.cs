using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

/// <summary>The training recipe: augmentation, learning-rate schedule, frozen widths, the bit-budget hinge, the best-epoch model and the weight average.</summary>
[TestClass]
public sealed class TrainingRecipeTests
{
    private static readonly TrainingOptions Options = new() { Epochs = 4, BatchSize = 4, QuantizerLearningRate = 0.1, Seed = 3, Threads = 2 };

    // Weight-average tests: each epoch validated and kept as the average over one epoch (WeightAverageEpochs 1).
    private static readonly TrainingOptions AveragedOptions = Options with
    {
        BatchSize = 2, QuantizerLearningRate = 1e-2, LearningRate = 1e-2, LearningRateSchedule = LearningRateScheduleKind.Constant, Augmentation = AugmentationKind.None,
        WeightAverageEpochs = 1,
    };

    // Blobs a tiny model learns in a few steps (synthetic MRI lesions stay at Dice 0 for longer than a test may take).
    private static readonly IReadOnlyList<SegmentationSample> Slices = TestModels.Blobs(12, 16, seed: 1);
    private static readonly IReadOnlyList<SegmentationSample> ValidationSlices = TestModels.Blobs(4, 16, seed: 2);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void FlipsMoveImageAndMaskTogetherAndExactly()
    {
        // An L-shaped pattern, the image equal to its mask: any flip of one must be the same flip of the other.
        var pattern = zeros(8, 1, 16, 16);
        pattern[.., .., 2..12, 3..5] = tensor(1f);
        pattern[.., .., 10..12, 3..10] = tensor(1f);
        var (images, masks) = Augmentation.Apply(pattern.Times(0.75), pattern.clone(), AugmentationKind.Flips, new TrainingRandom(11));

        Assert.IsTrue(images.eq(masks.Times(0.75)).all().item<bool>(), "image and mask were flipped differently");
        Tensor[] flips = [pattern[0], pattern[0].flip(2), pattern[0].flip(1), pattern[0].flip(1, 2)];
        var seen = new HashSet<int>();
        for (int i = 0; i < 8; i++)
        {
            int which = Array.FindIndex(flips, f => masks[i].equal(f).all().item<bool>());
            Assert.IsGreaterThanOrEqualTo(0, which, $"sample {i} is not a flip of the pattern");
            seen.Add(which);
        }
        Assert.IsGreaterThan(1, seen.Count, "8 samples all drew the same flip: not per sample");
    }

    [TestMethod]
    public void FullAugmentationKeepsMasksBinaryAlignedAndImagesInRange()
    {
        // A centred disc as both image and mask: after rotation, scale and intensity jitter the bright pixels must still be the mask's.
        const int size = 32, n = 16;
        var centred = tensor(Enumerable.Range(0, size).Select(i => i - 15.5f).ToArray());
        var (y, x) = (centred.view(size, 1), centred.view(1, size));
        // x^2 + y^2 is a whole number plus 0.5 here, so below 64 is within a radius of 8.
        var disc = (x * x).Plus(y * y).Below(64).to(ScalarType.Float32).expand(n, 1, size, size).contiguous();
        var random = new TrainingRandom(5);
        var (images, masks) = Augmentation.Apply(disc.clone(), disc.clone(), AugmentationKind.Full, random);

        Assert.IsTrue((masks.EqualTo(0) | masks.EqualTo(1)).all().item<bool>(), "a mask value is neither 0 nor 1");
        Assert.IsTrue(images.min().item<float>() >= 0 && images.max().item<float>() <= 1, "intensities left [0, 1]");
        double agreement = images.Above(0.5).eq(masks.Above(0.5)).to(ScalarType.Float32).mean().item<float>();
        Assert.IsGreaterThan(0.98, agreement, $"bright image pixels and mask agree on {agreement:P2} only");
        var areas = masks.sum([1, 2, 3]).data<float>().ToArray();
        float original = disc[0].sum().item<float>();
        foreach (var area in areas)
            Assert.IsTrue(area >= original * 0.75 && area <= original * 1.3, $"mask area {area} against {original}: not a small scale");
        Assert.IsTrue(areas.Distinct().Count() > 1, "every sample drew the same transform");

        var (again, _) = Augmentation.Apply(disc.clone(), disc.clone(), AugmentationKind.Full, new TrainingRandom(5));
        Assert.IsTrue(again.equal(images).all().item<bool>(), "the same generator state must give the same augmentation");
        Assert.AreNotEqual(5UL, random.State);
    }

    [TestMethod]
    public void TheCosineScheduleFallsFromTheFullRateToItsFloor()
    {
        const double floor = LearningRateSchedule.CosineFloor;
        Assert.AreEqual(1.0, LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 0, 100), 1e-15);
        Assert.AreEqual(floor + (1 - floor) * (1 + Math.Sqrt(0.5)) / 2, LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 25, 100), 1e-15);
        Assert.AreEqual((1 + floor) / 2, LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 50, 100), 1e-15);
        Assert.AreEqual(floor + (1 - floor) * (1 + Math.Cos(Math.PI * 0.99)) / 2, LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 99, 100), 1e-15);
        Assert.AreEqual(1.0, LearningRateSchedule.Factor(LearningRateScheduleKind.Constant, 99, 100));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 100, 100));
    }

    [TestMethod]
    public void EpochsRecordTheScheduledRate()
    {
        var result = Train(quantize: false, Options with { Epochs = 2 }, validation: null);
        // 12 slices in batches of 4: 3 steps an epoch; an epoch's rate is that of its last step (2, then 5, of 6).
        Assert.AreEqual(1e-3 * LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 2, 6), result.Epochs[0].LearningRate, 1e-12);
        Assert.AreEqual(1e-3 * LearningRateSchedule.Factor(LearningRateScheduleKind.Cosine, 5, 6), result.Epochs[1].LearningRate, 1e-12);
        Assert.AreEqual(2, result.BestEpoch, "without a validation set the last epoch is kept");
        result.Model.Dispose();
    }

    [TestMethod]
    [DataRow(4.0, false, DisplayName = "under a budget a width stops where the pull stops")]
    [DataRow(null, true, DisplayName = "under the plain term Adam's momentum carries it on")]
    public void AWidthMovesOnAfterThePullEndsOnlyWithoutABudget(double? targetBits, bool movesOn)
    {
        using var model = TestModels.Create();
        var options = new TrainingOptions { TargetBits = targetBits };
        using var optimizer = SegmentationTrainer.CreateOptimizer(model, options);
        var offset = model.Layers[0].WeightQuantizer.Bitwidth.Offset;
        // Three steps of a steady pull on one width, then one step in which nothing pulls (the hinge below its target).
        foreach (double pull in new[] { 1.0, 1.0, 1.0, 0.0 })
        {
            optimizer.zero_grad();
            offset.sum().Times(pull).backward();
            float before = offset.item<float>();
            optimizer.step();
            float moved = before - offset.item<float>();
            if (pull > 0) Assert.IsGreaterThan(0f, moved, "the pull moves the width");
            else if (movesOn) Assert.IsGreaterThan(0f, moved, "Adam's momentum should carry the width on");
            else Assert.AreEqual(0f, moved, "the width moved on with nothing pulling it");
        }
    }

    [TestMethod]
    public void TheHingeHasNoGradientBelowTheTargetAndPullsAbove()
    {
        using var model = TestModels.Create();
        using (no_grad())
        {
            foreach (var layer in model.Layers)
            {
                layer.WeightQuantizer.Bitwidth.Offset.FillInPlace(3); // 5 weight bits
                layer.InputQuantizer.Bitwidth.Offset.FillInPlace(2); // 6 activation bits over the floor of 4 (the image's too)
            }
        }
        var offsets = model.Layers.SelectMany(l => new[] { l.WeightQuantizer.Bitwidth.Offset, l.InputQuantizer.Bitwidth.Offset }).ToList();

        Tensor[] Gradients(TrainingOptions options)
        {
            foreach (var offset in offsets) offset.grad?.zero_();
            BitwidthLoss.Compute(model, options).backward();
            return [.. model.Layers.Select(l => l.WeightQuantizer.Bitwidth.Offset.grad!.clone()), .. model.Layers.Select(l => l.InputQuantizer.Bitwidth.Offset.grad!.clone())];
        }

        var above = new TrainingOptions { TargetBits = 6.5 };
        Assert.AreEqual(0f, BitwidthLoss.Compute(model, above).item<float>());
        foreach (var gradient in Gradients(above)) Assert.AreEqual(0f, gradient.item<float>(), "a width below the target was pulled");

        // Weights at 5 bits over a target of 4, activations at 6 over it: 10 relu(mean - 4) / 8 for each half, averaged.
        var below = new TrainingOptions { TargetBits = 4 };
        Assert.AreEqual(10 * ((5 - 4) / 8.0 + (6 - 4) / 8.0) / 2, BitwidthLoss.Compute(model, below).item<float>(), 1e-5);
        foreach (var gradient in Gradients(below)) Assert.AreEqual(10 / (23.0 * 8 * 2), gradient.item<float>(), 1e-7, "every width above the target is pulled alike, ten times the paper's pull");

        // Activations below the target leave only the weight half pulling.
        var between = new TrainingOptions { TargetBits = 5.5 };
        var split = Gradients(between);
        foreach (var gradient in split[..23]) Assert.AreEqual(0f, gradient.item<float>());
        foreach (var gradient in split[23..]) Assert.AreEqual(10 / (23.0 * 8 * 2), gradient.item<float>(), 1e-7);

        // Without a target the paper's term pulls at any width.
        foreach (var gradient in Gradients(new TrainingOptions { PenalizeActivationBits = false })[..23]) Assert.AreEqual(1 / (23.0 * 8), gradient.item<float>(), 1e-9);
    }

    [TestMethod]
    public void FrozenWidthsStayPutWhileTheWeightsTrain()
    {
        var offsets = new List<float[]>();
        var weights = new List<float[]>();
        var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        var result = SegmentationTrainer.Train(model, Slices, ValidationSlices, Options with { FrozenWidthFraction = 0.5 }, epochEnded: _ =>
        {
            offsets.Add([.. model.Layers.SelectMany(l => new[] { l.WeightQuantizer.Bitwidth.Offset, l.InputQuantizer.Bitwidth.Offset }).Select(o => o.item<float>())]);
            weights.Add(model.Layers[5].Weight.data<float>().ToArray());
        });

        CollectionAssert.AreEqual(new[] { false, false, true, true }, result.Epochs.Select(e => e.WidthsFrozen).ToArray());
        CollectionAssert.AreEqual(new[] { true, true, false, false }, result.Epochs.Select(e => e.BitwidthTermOn).ToArray());
        CollectionAssert.AreNotEqual(offsets[0], offsets[1], "the widths should learn before the freeze");
        CollectionAssert.AreEqual(offsets[1], offsets[2], "a bitwidth offset moved in the first frozen epoch");
        CollectionAssert.AreEqual(offsets[1], offsets[3], "a bitwidth offset moved in the second frozen epoch");
        CollectionAssert.AreNotEqual(weights[2], weights[3], "the weights should still train");
        Assert.IsGreaterThanOrEqualTo(3, result.BestEpoch, "the kept model must come from an epoch with frozen widths");
        model.Dispose();
    }

    [TestMethod]
    [DataRow(false, DisplayName = "float")]
    [DataRow(true, DisplayName = "QuantU-Net")]
    public void TheModelReturnedIsTheBestEligibleEpochs(bool quantize)
    {
        var states = new List<byte[]>();
        QuantUNetModel? model = null;
        // Candidates: the float model's epochs 2-5 (the last 0.8 of 5), QuantU-Net's of those its frozen 3-5.
        var options = Options with { Epochs = 5, BatchSize = 2, LearningRate = 1e-2, LearningRateSchedule = LearningRateScheduleKind.Constant, FrozenWidthFraction = 0.6, Augmentation = AugmentationKind.None,
            SettledEpochFraction = 0.8, WeightAverageEpochs = 0 }; // the weights themselves: the weight-average tests below keep the average
        model = SegmentationTrainer.CreateModel(TestModels.Tiny(quantize), options.Seed);
        var result = SegmentationTrainer.Train(model, Slices, ValidationSlices, options, epochEnded: _ => states.Add(ModelFile.SaveState(model)));

        var dice = result.Epochs.Select(e => e.Validation!.Dice).ToList();
        int firstEligible = quantize ? 3 : 2;
        int expected = Enumerable.Range(firstEligible, 5 - firstEligible + 1).MaxBy(e => (dice[e - 1], -e));
        TestContext.WriteLine($"validation Dice by epoch {string.Join(", ", dice.Select(d => d.ToString("F4")))}; kept epoch {result.BestEpoch}");
        Assert.AreEqual(expected, result.BestEpoch);
        CollectionAssert.AreEqual(states[expected - 1], ModelFile.SaveState(result.Model), "the returned model is not the state after the kept epoch");
        model.Dispose();
    }

    [TestMethod]
    public void OnlyTheSettledEndOfTheScheduleMayBeKept()
    {
        var options = new TrainingOptions();
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 4, 8 }, new[] { 1, 2, 5, 10, 20 }.Select(options.SettledEpochs).ToArray());
        Assert.AreEqual(20, (options with { SettledEpochFraction = 1 }).SettledEpochs(20));
        static EpochRecord Epoch(int epoch, bool frozen = false) => new(epoch, false, new LossTerms(0, 0, 0, 0), null, new BitwidthSummary([]), 0, frozen);

        // The float phase of a warm-started run: 16 epochs on the whole run's 20-epoch cosine, so epochs 13-16 are candidates.
        bool[] floatEligible = [.. Enumerable.Range(1, 16).Select(e => BestEpoch.IsEligible(Epoch(e), quantized: false, options, phaseEpochs: 16, scheduleEpochs: 20))];
        CollectionAssert.AreEqual(Enumerable.Range(1, 16).Select(e => e >= 13).ToArray(), floatEligible);
        // QAT: the settled end and frozen widths both.
        Assert.IsFalse(BestEpoch.IsEligible(Epoch(4), quantized: true, options, phaseEpochs: 4, scheduleEpochs: 4), "widths still learning");
        Assert.IsTrue(BestEpoch.IsEligible(Epoch(4, frozen: true), quantized: true, options, phaseEpochs: 4, scheduleEpochs: 4));
        Assert.IsFalse(BestEpoch.IsEligible(Epoch(4, frozen: true), quantized: true, options, phaseEpochs: 10, scheduleEpochs: 10), "frozen, but before the last 4 of 10");

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => (options with { SettledEpochFraction = 0 }).Validate());
        Assert.AreEqual(nameof(TrainingOptions.SettledEpochFraction), error.ParamName);
        StringAssert.Contains(error.Message, "TrainingOptions.SettledEpochFraction is 0");
    }

    [TestMethod]
    public void EverySettingNoRunCanUseIsListedAndValidateThrowsForTheFirst()
    {
        Assert.AreEqual(0, new TrainingOptions().InvalidSettings().Count, "the defaults are usable");
        var options = new TrainingOptions { LearningRate = double.NaN, Lambda = -1, SettledEpochFraction = 1.5, TargetBits = 9 };

        var invalid = options.InvalidSettings();

        CollectionAssert.AreEqual(
            new[] { nameof(TrainingOptions.LearningRate), nameof(TrainingOptions.Lambda), nameof(TrainingOptions.SettledEpochFraction), nameof(TrainingOptions.TargetBits) },
            invalid.Select(i => i.Field).ToArray());
        Assert.AreEqual(-1.0, invalid[1].Value);
        Assert.AreEqual("the bitwidth term's weight must be 0 or a positive number.", invalid[1].Rule);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Validate("Owner"));
        Assert.AreEqual(nameof(TrainingOptions.LearningRate), error.ParamName);
        StringAssert.StartsWith(error.Message, "Owner.LearningRate is NaN: a learning rate must be a positive number.");
    }

    [TestMethod]
    public void AnUnmetBudgetKeepsTheLastEpoch()
    {
        // With lambda 0 nothing pulls the widths down to a 2-bit budget: no epoch is eligible, so the last is kept.
        var result = Train(quantize: true, Options with { Epochs = 3, TargetBits = 2, Lambda = 0 }, ValidationSlices);
        Assert.IsTrue(result.Epochs.All(e => e.Bitwidths.AverageWeightBits > 2 + BestEpoch.BudgetTolerance));
        Assert.AreEqual(3, result.BestEpoch);
        Assert.IsFalse(BestEpoch.MeetsBudget(result.Epochs[^1].Bitwidths, Options with { TargetBits = 2 }));
        Assert.IsTrue(BestEpoch.MeetsBudget(result.Epochs[^1].Bitwidths, Options));
        result.Model.Dispose();
    }

    [TestMethod]
    public void FrozenEpochsAreHalfOfQatAtLeastOneAndNotAll()
    {
        var options = new TrainingOptions();
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 2, 3, 4, 5 }, new[] { 1, 2, 3, 4, 6, 8, 10 }.Select(options.FrozenWidthEpochs).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 3 }, new[] { 2, 4, 6, 12 }.Select((options with { FrozenWidthFraction = 0.25 }).FrozenWidthEpochs).ToArray());
        Assert.AreEqual(0, (options with { FrozenWidthFraction = 0 }).FrozenWidthEpochs(12));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Train(quantize: true, Options with { FrozenWidthFraction = 1 }, validation: null));
        Assert.AreEqual(nameof(TrainingOptions.FrozenWidthFraction), error.ParamName);
    }

    [TestMethod]
    public void WidthsCanCrossTheirRangeWithinTheLearningStepsButNeverLearnSlowerThanTheQuantizerRate()
    {
        var options = new TrainingOptions();
        Assert.AreEqual(0.02, options.BitwidthLearningRate(learningSteps: 300, rangeBits: 6), 1e-12);
        Assert.AreEqual(options.QuantizerLearningRate, options.BitwidthLearningRate(learningSteps: 6_000, rangeBits: 6));
        Assert.AreEqual(options.QuantizerLearningRate, options.BitwidthLearningRate(learningSteps: 0, rangeBits: 6));
    }

    [TestMethod]
    public void AStepMovesTheAverageOneHorizonsShareAndSwapExchangesIt()
    {
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(quantize: true), seed: 1);
        var layer = model.Layers[0];
        using var start = layer.Weight.detach().clone();
        using var startMean = layer.Norm!.running_mean!.clone();
        using var offset = layer.WeightQuantizer.Bitwidth.Offset.detach().clone();
        using var average = new WeightAverage(model, horizonSteps: 4);
        using var trained = start.Plus(1.0);
        using var trainedMean = startMean.Plus(2.0);
        using var trainedOffset = offset.Plus(1.0);
        using (no_grad())
        {
            layer.Weight.copy_(trained);
            layer.Norm.running_mean!.copy_(trainedMean);
            layer.WeightQuantizer.Bitwidth.Offset.copy_(trainedOffset);
        }
        average.Update(); // decay 3/4: start + 1/4 of the change

        using var expectedWeight = start.Plus(0.25);
        using var expectedMean = startMean.Plus(0.5);
        average.Swap();
        Assert.IsTrue(layer.Weight.allclose(expectedWeight, rtol: 0, atol: 1e-6), "weights: not 3/4 of the old plus 1/4 of the new");
        Assert.IsTrue(layer.Norm.running_mean!.allclose(expectedMean, rtol: 0, atol: 1e-6), "BatchNorm statistics are averaged as well");
        Assert.IsTrue(layer.WeightQuantizer.Bitwidth.Offset.equal(trainedOffset).all().item<bool>(), "the quantizers are the model's own, not averaged");
        average.Swap();
        Assert.IsTrue(layer.Weight.equal(trained).all().item<bool>(), "swapping back restores the trained weights exactly");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WeightAverage(model, horizonSteps: 0.5));
    }

    [TestMethod]
    [DataRow(false, DisplayName = "float")]
    [DataRow(true, DisplayName = "QuantU-Net")]
    public void EachEpochIsValidatedAndTheKeptModelIsTheAverage(bool quantize)
    {
        var trained = new List<byte[]>();
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(quantize), AveragedOptions.Seed);
        var result = SegmentationTrainer.Train(model, Slices, ValidationSlices, AveragedOptions, epochEnded: _ => trained.Add(ModelFile.SaveState(model)));

        using var data = TrainingData.Stack(ValidationSlices, null);
        using var logits = ModelScoring.Logits(result.Model, data.Images, AveragedOptions.BatchSize);
        Assert.AreEqual(result.Epochs[result.BestEpoch - 1].Validation!.Dice, ModelScoring.Counts(logits, data.Masks).Dice, 1e-12,
            "the kept model is not the one its epoch was validated as");
        CollectionAssert.AreNotEqual(trained[result.BestEpoch - 1], ModelFile.SaveState(result.Model), "the kept model is the trained weights, not their average");
    }

    [TestMethod]
    public void WithoutValidationTheLastEpochsAverageIsKept()
    {
        using var averaged = SegmentationTrainer.CreateModel(TestModels.Tiny(), AveragedOptions.Seed);
        using var plain = SegmentationTrainer.CreateModel(TestModels.Tiny(), AveragedOptions.Seed);
        byte[] lastTrained = [];
        SegmentationTrainer.Train(averaged, Slices, null, AveragedOptions, epochEnded: _ => lastTrained = ModelFile.SaveState(averaged));
        SegmentationTrainer.Train(plain, Slices, null, AveragedOptions with { WeightAverageEpochs = 0 });
        CollectionAssert.AreEqual(ModelFile.SaveState(plain), lastTrained, "the average changed the training itself");
        CollectionAssert.AreNotEqual(lastTrained, ModelFile.SaveState(averaged), "the model kept is the last trained weights, not their average");
    }

    [TestMethod]
    public void AHorizonUnderOneStepIsTheWeightsThemselves()
    {
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), AveragedOptions.Seed);
        byte[] lastTrained = [];
        SegmentationTrainer.Train(model, Slices, null, AveragedOptions with { Epochs = 1, WeightAverageEpochs = 1e-6 }, epochEnded: _ => lastTrained = ModelFile.SaveState(model));
        CollectionAssert.AreEqual(lastTrained, ModelFile.SaveState(model));
    }

    private static TrainingResult Train(bool quantize, TrainingOptions options, IReadOnlyList<SegmentationSample>? validation) =>
        SegmentationTrainer.Train(SegmentationTrainer.CreateModel(TestModels.Tiny(quantize), options.Seed), Slices, validation, options);
}
