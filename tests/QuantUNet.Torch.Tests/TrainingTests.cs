using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

[TestClass]
public sealed class TrainingTests
{
    private static readonly TrainingOptions Short = new()
    {
        Epochs = 2, BatchSize = 4, QuantizerLearningRate = 0.1, Seed = 5, Threads = 2,
    };

    public TestContext TestContext { get; set; } = null!;

    private static TrainingResult Run(TrainingOptions options, bool quantize = true)
    {
        var model = SegmentationTrainer.CreateModel(TestModels.Tiny(quantize), options.Seed);
        return SegmentationTrainer.Train(model, TestModels.Blobs(24, 16, seed: 1), TestModels.Blobs(8, 16, seed: 2), options);
    }

    [TestMethod]
    public void TheBitwidthTermLowersTheAverageBits()
    {
        using var withTerm = Run(Short).Model;
        using var withoutTerm = Run(Short with { Lambda = 0 }).Model;
        double pushed = withTerm.Bitwidths().AverageWeightBits, free = withoutTerm.Bitwidths().AverageWeightBits;
        Assert.IsLessThan(free, pushed, $"lambda 0.25 gave {pushed:F2} bits, lambda 0 gave {free:F2}");
        Assert.IsLessThan(8.0, pushed);
    }

    [TestMethod]
    [DataRow(false, DisplayName = "without a checkpoint folder")]
    [DataRow(true, DisplayName = "with a checkpoint folder")]
    public void AnEpochModelWithoutItsIntegerModelIsLogged(bool checkpointed)
    {
        // An output bias of 1e12 is far outside int32 in accumulator steps: the export of every epoch's model is refused.
        using var temp = new TempFolder("quantunet-epochs");
        var epochs = Path.Combine(temp.Path, "epochs");
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), Short.Seed);
        using (no_grad())
        {
            using Scalar huge = 1e12.ToScalar();
            model.Layers[^1].Bias.fill_(huge);
        }
        var messages = new List<string>();
        SegmentationTrainer.Train(model, TestModels.Blobs(8, 16, seed: 1), null,
            Short with { Epochs = 1, EpochModelDirectory = epochs, CheckpointDirectory = checkpointed ? Path.Combine(temp.Path, "run") : null },
            log: messages.Add);

        TestContext.WriteLine(string.Join("\n", messages));
        var message = messages.Single(m => m.StartsWith("warning: ", StringComparison.Ordinal)); // a checkpointed run also logs its phase plan
        StringAssert.StartsWith(message, "warning: quant-01.qunet: no integer model");
        StringAssert.Contains(message, "outside int32");
        Assert.IsNull(ModelPackage.Load(Path.Combine(epochs, "quant-01.qunet")).IntegerModel, "the package holds the TorchSharp weights alone");
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameRun()
    {
        var first = Run(Short);
        var second = Run(Short);
        Assert.AreEqual(first.Epochs[^1].Training.Total, second.Epochs[^1].Training.Total);
        Assert.AreEqual(first.Epochs[^1].Validation!.Dice, second.Epochs[^1].Validation!.Dice);
        foreach (var (a, b) in first.Model.parameters().Zip(second.Model.parameters()))
            Assert.IsTrue(a.equal(b).all().item<bool>(), "parameters differ between two runs of one seed");
        first.Model.Dispose();
        second.Model.Dispose();
    }

    [TestMethod]
    public void RecordsEveryEpochWithBitsAndValidation()
    {
        var result = Run(Short);
        Assert.HasCount(2, result.Epochs);
        var last = result.Epochs[^1];
        Assert.HasCount(23, last.Bitwidths.Layers);
        Assert.IsTrue(last.Bitwidths.Layers.All(l => l.WeightBits is >= 2 and <= 8 && l.ActivationBits is >= 2 and <= 8));
        Assert.IsNotNull(last.Validation);
        Assert.IsTrue(double.IsFinite(last.Training.Total) && last.Training.Bitwidth > 0);
        Assert.IsGreaterThan(last.Bitwidths.SizeBytes, last.Bitwidths.FloatSizeBytes);
        result.Model.Dispose();
    }

    [TestMethod]
    public void TheBitwidthTermWaitsForItsWarmupAndProgressIsReported()
    {
        var steps = new List<TrainingProgress>();
        var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), Short.Seed);
        var result = SegmentationTrainer.Train(model, TestModels.Blobs(8, 16, seed: 1), null,
            Short with { BitwidthWarmupEpochs = 1, FrozenWidthFraction = 0 }, progress: steps.Add);
        Assert.IsFalse(result.Epochs[0].BitwidthTermOn);
        Assert.IsTrue(result.Epochs[1].BitwidthTermOn);
        Assert.IsNull(result.Epochs[0].Validation);
        Assert.HasCount(4, steps, "2 epochs of 2 batches of 4");
        Assert.AreEqual(new TrainingProgress(2, 2, 2, 2, steps[^1].Loss), steps[^1]);
        model.Dispose();
    }

    [TestMethod]
    public void LossIsFiniteWhenEveryMaskIsEmpty()
    {
        using var model = TestModels.Create();
        var (images, masks) = SampleTensors.Stack(TestModels.Blobs(4, 16, seed: 9, empty: true));
        using var optimizer = SegmentationTrainer.CreateOptimizer(model, Short);
        var terms = SegmentationTrainer.Step(model, optimizer, images, masks, Short, bitwidthOn: true);
        Assert.IsTrue(double.IsFinite(terms.Total) && double.IsFinite(terms.Dice), $"loss {terms.Total}, dice term {terms.Dice}");
        Assert.IsTrue(model.parameters().All(p => p.isfinite().all().item<bool>()));
    }

    [TestMethod]
    public void SoftDiceOfTwoEmptyMasksIsPerfect()
    {
        using var logits = ones(1, 1, 4, 4).TimesInPlace(-30);
        using var masks = zeros(1, 1, 4, 4);
        Assert.AreEqual(0.0, SegmentationLoss.SoftDice(logits, masks).item<float>(), 1e-6);
    }

    [TestMethod]
    public void FloatTrainingLeavesQuantizersAlone()
    {
        var result = Run(Short, quantize: false);
        Assert.IsTrue(result.Epochs.All(e => e.Bitwidths.AverageWeightBits == BitwidthSummary.FloatBits && e.Bitwidths.SizeRatio == 1));
        Assert.IsTrue(result.Model.QuantizerParameters().All(p => p.grad is null));
        result.Model.Dispose();
    }

    [TestMethod]
    public void CheckpointsRoundTripAndRefuseCorruption()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-test").FullName;
        try
        {
            var result = Run(Short with { Epochs = 1, CheckpointDirectory = directory, WeightAverageEpochs = 0 }); // the model kept is the one checkpointed
            var checkpoint = TrainingCheckpoint.LoadFrom(directory);
            Assert.HasCount(1, checkpoint.QuantizedRecords);
            Assert.AreEqual(5, checkpoint.Options.Seed);
            Assert.AreEqual(WarmStartSchedule.QuantizedOnly(1), checkpoint.Schedule);
            using var loaded = ModelFile.LoadState(new QuantUNetModel(TestModels.Tiny()), checkpoint.QuantizedModelState);
            loaded.eval();
            using var input = rand(2, 1, 16, 16);
            using var expected = ModelScoring.Logits(result.Model, input, 2);
            using var actual = ModelScoring.Logits(loaded, input, 2);
            Assert.IsTrue(expected.equal(actual).all().item<bool>(), "loaded model scores differently");
            CollectionAssert.AreEqual(result.Model.Bitwidths().Layers.ToList(), loaded.Bitwidths().Layers.ToList());
            Assert.AreEqual(0, Directory.GetFiles(directory, "*.tmp").Length, "temporary files left behind");

            var path = TrainingCheckpoint.PathIn(directory);
            var bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(path, bytes);
            var corrupted = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadFrom(directory));
            StringAssert.Contains(corrupted.Message, path);
            StringAssert.Contains(corrupted.Message, "checksum");
            File.WriteAllBytes(path, bytes[..100]);
            Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadFrom(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
