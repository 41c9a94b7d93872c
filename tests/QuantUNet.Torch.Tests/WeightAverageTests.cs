using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

/// <summary>The moving average of the weights: its arithmetic, what it leaves alone, and that each epoch is validated and kept with it.</summary>
[TestClass]
public sealed class WeightAverageTests
{
    private static readonly TrainingOptions Options = new()
    {
        Epochs = 4, BatchSize = 2, LearningRate = 1e-2, LearningRateSchedule = LearningRateScheduleKind.Constant, Augmentation = AugmentationKind.None,
        WeightAverageEpochs = 1, Seed = 3, Threads = 2,
    };
    private static readonly IReadOnlyList<SegmentationSample> Slices = TestModels.Blobs(12, 16, seed: 1);
    private static readonly IReadOnlyList<SegmentationSample> ValidationSlices = TestModels.Blobs(4, 16, seed: 2);

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
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(quantize), Options.Seed);
        var result = SegmentationTrainer.Train(model, Slices, ValidationSlices, Options, epochEnded: _ => trained.Add(ModelFile.SaveState(model)));

        using var data = TrainingData.Stack(ValidationSlices, null);
        using var logits = ModelScoring.Logits(result.Model, data.Images, Options.BatchSize);
        Assert.AreEqual(result.Epochs[result.BestEpoch - 1].Validation!.Dice, ModelScoring.Counts(logits, data.Masks).Dice, 1e-12,
            "the kept model is not the one its epoch was validated as");
        CollectionAssert.AreNotEqual(trained[result.BestEpoch - 1], ModelFile.SaveState(result.Model), "the kept model is the trained weights, not their average");
    }

    [TestMethod]
    public void WithoutValidationTheLastEpochsAverageIsKept()
    {
        using var averaged = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        using var plain = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        byte[] lastTrained = [];
        SegmentationTrainer.Train(averaged, Slices, null, Options, epochEnded: _ => lastTrained = ModelFile.SaveState(averaged));
        SegmentationTrainer.Train(plain, Slices, null, Options with { WeightAverageEpochs = 0 });
        CollectionAssert.AreEqual(ModelFile.SaveState(plain), lastTrained, "the average changed the training itself");
        CollectionAssert.AreNotEqual(lastTrained, ModelFile.SaveState(averaged), "the model kept is the last trained weights, not their average");
    }

    [TestMethod]
    public void AHorizonUnderOneStepIsTheWeightsThemselves()
    {
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        byte[] lastTrained = [];
        SegmentationTrainer.Train(model, Slices, null, Options with { Epochs = 1, WeightAverageEpochs = 1e-6 }, epochEnded: _ => lastTrained = ModelFile.SaveState(model));
        CollectionAssert.AreEqual(lastTrained, ModelFile.SaveState(model));
    }
}
