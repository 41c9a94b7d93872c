using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;

namespace QuantUNet.Torch.Tests;

/// <summary>A run stopped after an epoch and resumed from its checkpoint ends exactly as the uninterrupted run.</summary>
[TestClass]
public sealed class ResumeTrainingTests
{
    // Every epoch a candidate (SettledEpochFraction 1), so that the float phase, 2 of the schedule's 4 epochs, has a best epoch to carry across a stop.
    private static readonly TrainingOptions Options = new() { BatchSize = 4, QuantizerLearningRate = 0.1, Seed = 5, Threads = 2, SettledEpochFraction = 1 };

    // Two float epochs, then QuantU-Net from their weights for two QAT epochs of 3 steps (the second with frozen
    // widths), so that the activation thresholds calibrate (4 batches) across the stop in QAT epoch 1.
    private static readonly WarmStartSchedule Schedule = WarmStartSchedule.Split(4, warmStartEpoch: 2);
    private static readonly ArchitectureOptions Architecture =
        TestModels.Tiny() with { Quantization = new QuantizationOptions { ActivationThreshold = new ActivationThresholdOptions(CalibrationBatches: 4) } };
    private static readonly List<SegmentationSample> Training = TestModels.Blobs(12, 16, seed: 1);
    private static readonly List<SegmentationSample> Validation = TestModels.Blobs(4, 16, seed: 2);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(TrainingPhase.Float, 1, 0.0, DisplayName = "stopped in the float warm start")]
    [DataRow(TrainingPhase.Quantized, 1, 0.0, DisplayName = "stopped in quantization-aware training")]
    [DataRow(TrainingPhase.Float, 1, 1.0, DisplayName = "stopped in the float warm start, weights averaged")]
    [DataRow(TrainingPhase.Quantized, 1, 1.0, DisplayName = "stopped in quantization-aware training, weights averaged")]
    public void AResumedRunEndsBitIdenticalToAnUninterruptedOne(TrainingPhase stopPhase, int stopEpoch, double weightAverageEpochs)
    {
        using var straightTemp = new TempFolder("quantunet-resume");
        using var resumedTemp = new TempFolder("quantunet-resume");
        var straightFolder = straightTemp.Path;
        var options = Options with { WeightAverageEpochs = weightAverageEpochs };
        var straight = Train(straightFolder, epochEnded: null, options: options);

        var resumedFolder = resumedTemp.Path;
        using (var stop = new CancellationTokenSource())
        {
            Assert.ThrowsExactly<OperationCanceledException>(() => Train(resumedFolder, (name, record) =>
            {
                if (name == WarmStartTraining.Name(stopPhase) && record.Epoch == stopEpoch) stop.Cancel();
            }, stop.Token, options));
        }
        var atStop = TrainingCheckpoint.LoadFrom(resumedFolder);
        Assert.AreEqual(stopPhase, atStop.Phase);
        Assert.AreEqual(stopEpoch, atStop.PhaseEpochsDone);

        var replayed = new List<string>();
        var resumed = Train(resumedFolder, (name, record) => replayed.Add($"{name} {record.Epoch}"), options: options);
        CollectionAssert.AreEqual(new[] { "float 1", "float 2", "quant 1", "quant 2" }, replayed, "every epoch is reported once, the restored ones first");

        var expected = TrainingCheckpoint.LoadFrom(straightFolder);
        var actual = TrainingCheckpoint.LoadFrom(resumedFolder);
        CollectionAssert.AreEqual(expected.FloatModelState, actual.FloatModelState, "float weights differ");
        CollectionAssert.AreEqual(expected.QuantizedModelState, actual.QuantizedModelState, "QuantU-Net weights, bitwidth offsets, thresholds or calibration counts differ");
        CollectionAssert.AreEqual(expected.OptimizerState, actual.OptimizerState, "Adam state differs");
        Assert.AreEqual(expected.RandomState, actual.RandomState);
        Assert.AreEqual(WithoutTimes(expected.FloatRecords), WithoutTimes(actual.FloatRecords));
        Assert.AreEqual(WithoutTimes(expected.QuantizedRecords), WithoutTimes(actual.QuantizedRecords));
        CollectionAssert.AreEqual(
            straight.Final.Model.Bitwidths().Layers.ToList(), resumed.Final.Model.Bitwidths().Layers.ToList());
        Assert.AreEqual(expected.FloatBestEpoch, actual.FloatBestEpoch);
        Assert.AreEqual(expected.QuantizedBestEpoch, actual.QuantizedBestEpoch);
        CollectionAssert.AreEqual(expected.FloatBestState, actual.FloatBestState, "the float model's best state differs");
        CollectionAssert.AreEqual(expected.QuantizedBestState, actual.QuantizedBestState, "QuantU-Net's best state differs");
        CollectionAssert.AreEqual(expected.FloatAverageState, actual.FloatAverageState, "the float model's weight average differs");
        CollectionAssert.AreEqual(expected.QuantizedAverageState, actual.QuantizedAverageState, "QuantU-Net's weight average differs");
        Assert.AreEqual(weightAverageEpochs > 0, actual.QuantizedAverageState.Length > 0, "a weight average is checkpointed when, and only when, the run averages");
        Assert.AreEqual(straight.Float!.BestEpoch, resumed.Float!.BestEpoch);
        Assert.AreEqual(straight.Final.BestEpoch, resumed.Final.BestEpoch);
        Assert.AreEqual(2, resumed.Final.BestEpoch, "the one QAT epoch with frozen widths is the only one QuantU-Net may keep");
        CollectionAssert.AreEqual(ModelFile.SaveState(straight.Float.Model), ModelFile.SaveState(resumed.Float.Model), "the kept float models differ");
        CollectionAssert.AreEqual(ModelFile.SaveState(straight.Final.Model), ModelFile.SaveState(resumed.Final.Model), "the kept QuantU-Nets differ");
        Assert.IsEmpty(Directory.GetFiles(resumedFolder, "*.tmp"), "temporary files left behind");
        TestContext.WriteLine($"final QAT loss {actual.QuantizedRecords[^1].Training.Total:R} both ways");
    }

    [TestMethod]
    [DataRow(0.0, DisplayName = "the weights themselves")]
    [DataRow(1.0, DisplayName = "weights averaged")]
    public void EveryEpochsModelIsWrittenAsThePhaseWouldKeepIt(double weightAverageEpochs)
    {
        using var temp = new TempFolder("quantunet-epochs");
        var epochs = Path.Combine(temp.Path, "epochs");
        var run = Train(Path.Combine(temp.Path, "run"), epochEnded: null, options: Options with { WeightAverageEpochs = weightAverageEpochs, EpochModelDirectory = epochs });

        CollectionAssert.AreEqual(new[] { "float-01.qunet", "float-02.qunet", "quant-01.qunet", "quant-02.qunet" },
            Directory.GetFiles(epochs).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList(), "one package an epoch and nothing else (no temporary file)");
        var keptFloat = ModelFile.LoadPackage(Path.Combine(epochs, WarmStartTraining.EpochModelFileName(TrainingPhase.Float, run.Float!.BestEpoch)));
        var keptQuantized = ModelFile.LoadPackage(Path.Combine(epochs, WarmStartTraining.EpochModelFileName(TrainingPhase.Quantized, run.Final.BestEpoch)));
        CollectionAssert.AreEqual(ModelFile.SaveState(run.Float.Model), keptFloat.TorchState.ToArray(), "the kept float epoch's file is not the kept float model");
        CollectionAssert.AreEqual(ModelFile.SaveState(run.Final.Model), keptQuantized.TorchState.ToArray(), "the kept QAT epoch's file is not the kept QuantU-Net");
        Assert.IsNotNull(keptQuantized.IntegerModel, "a QAT epoch's package carries its integer model");
        Assert.IsFalse(keptFloat.Description.Quantized);
        Assert.AreEqual(16, keptQuantized.Description.ImageHeight, "the training images' size");
        Assert.AreEqual(run.Final.Epochs[run.Final.BestEpoch - 1].Validation!.Dice, keptQuantized.Description.Training!.Metrics["validation.dice"], "the epoch's own validation figures");
    }

    [TestMethod]
    public void WhereEpochModelsGoIsNotPartOfTheRun()
    {
        using var temp = new TempFolder("quantunet-epochs");
        var folder = Path.Combine(temp.Path, "run");
        using (var stop = new CancellationTokenSource())
            Assert.ThrowsExactly<OperationCanceledException>(() => Train(folder, (name, record) =>
            {
                if (name == WarmStartTraining.QuantizedName && record.Epoch == 1) stop.Cancel();
            }, stop.Token, Options with { EpochModelDirectory = Path.Combine(temp.Path, "before") }));

        var elsewhere = Path.Combine(temp.Path, "after");
        var resumed = Train(folder, epochEnded: null, options: Options with { EpochModelDirectory = elsewhere });
        Assert.AreEqual(2, TrainingCheckpoint.LoadFrom(folder).QuantizedRecords.Count, "the checkpoint was resumed, not refused");
        CollectionAssert.AreEqual(new[] { "quant-02.qunet" }, Directory.GetFiles(elsewhere).Select(Path.GetFileName).ToList(),
            "a resumed run writes the epochs it trains, not the ones it replays");
        CollectionAssert.AreEqual(ModelFile.SaveState(resumed.Final.Model), ModelFile.LoadPackage(Path.Combine(elsewhere, "quant-02.qunet")).TorchState.ToArray());
    }

    [TestMethod]
    public void QuantUNetStartsFromTheFloatRunsWeightsAtTheWarmStartEpoch()
    {
        using var warmStartTemp = new TempFolder("quantunet-resume");
        using var floatRunTemp = new TempFolder("quantunet-resume");
        var warmStart = CheckpointAfterFloatEpoch(2, WarmStartSchedule.Split(4, warmStartEpoch: 2), warmStartTemp.Path);
        var floatRun = CheckpointAfterFloatEpoch(2, WarmStartSchedule.FloatOnly(4), floatRunTemp.Path);
        CollectionAssert.AreEqual(
            floatRun.FloatRecords.Select(r => r.LearningRate).ToList(), warmStart.FloatRecords.Select(r => r.LearningRate).ToList(),
            "the float phase's learning rate falls over the whole run, as the float run's does");
        CollectionAssert.AreEqual(floatRun.FloatModelState, warmStart.FloatModelState, "the warm start is not the float run's epoch 2");

        static TrainingCheckpoint CheckpointAfterFloatEpoch(int epoch, WarmStartSchedule schedule, string folder)
        {
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() => WarmStartTraining.Train(
                Architecture, Training, Validation, Options with { CheckpointDirectory = folder }, schedule,
                (name, record) => { if (name == WarmStartTraining.FloatName && record.Epoch == epoch) stop.Cancel(); }, cancellation: stop.Token));
            return TrainingCheckpoint.LoadFrom(folder);
        }
    }

    [TestMethod]
    public void AResumedAdamContinuesExactlyAsTheOriginal()
    {
        var model = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        var (images, masks) = SampleTensors.Stack(Training.Take(4).ToList());
        using var original = SegmentationTrainer.CreateOptimizer(model, Options);
        for (int i = 0; i < 3; i++) SegmentationTrainer.Step(model, original, images, masks, Options, bitwidthOn: true);
        var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true)) original.save_state_dict(writer);
        var twin = SegmentationTrainer.CreateModel(TestModels.Tiny(), Options.Seed);
        ModelFile.LoadState(twin, ModelFile.SaveState(model));
        using var restored = SegmentationTrainer.CreateOptimizer(twin, Options);
        state.Position = 0;
        using (var reader = new BinaryReader(state)) restored.load_state_dict(reader);

        SegmentationTrainer.Step(model, original, images, masks, Options, bitwidthOn: true);
        SegmentationTrainer.Step(twin, restored, images, masks, Options, bitwidthOn: true);
        CollectionAssert.AreEqual(ModelFile.SaveState(model), ModelFile.SaveState(twin), "a step after restoring Adam moved the weights differently");
        model.Dispose();
        twin.Dispose();
    }

    [TestMethod]
    public void ACheckpointOfOtherSettingsIsRefusedByName()
    {
        using var temp = new TempFolder("quantunet-resume");
        var folder = temp.Path;
        Train(folder, epochEnded: null);
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            WarmStartTraining.Train(Architecture, Training, Validation, Options with { Lambda = 0.5, CheckpointDirectory = folder }, Schedule));
        StringAssert.Contains(error.Message, TrainingCheckpoint.PathIn(folder));
        StringAssert.Contains(error.Message, "training options");

        var path = TrainingCheckpoint.PathIn(folder);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadFrom(folder)).Message, "checksum");
    }

    [TestMethod]
    public void AVersion2CheckpointFromBeforeWeightAveragingStillResumes()
    {
        // A run begun by a build before weight averaging: its checkpoint has five sections and no average in its options.
        using var temp = new TempFolder("quantunet-resume");
        var folder = temp.Path;
        using (var stop = new CancellationTokenSource())
            Assert.ThrowsExactly<OperationCanceledException>(() => Train(folder, (name, record) =>
            {
                if (name == WarmStartTraining.QuantizedName && record.Epoch == 1) stop.Cancel();
            }, stop.Token));
        var current = TrainingCheckpoint.LoadFrom(folder);
        Assert.AreEqual(3, TrainingCheckpoint.FormatVersion);
        SaveAsOlderBuild(folder, current, version: 2, [current.FloatModelState, current.QuantizedModelState, current.OptimizerState, current.FloatBestState, current.QuantizedBestState],
            nameof(TrainingOptions.WeightAverageEpochs), nameof(TrainingOptions.SettledEpochFraction));

        var older = TrainingCheckpoint.LoadFrom(folder);
        Assert.AreEqual(0, older.Options.WeightAverageEpochs);
        Assert.AreEqual(1, older.Options.SettledEpochFraction, "a version-2 run chose among all its epochs");
        CollectionAssert.AreEqual(current.QuantizedModelState, older.QuantizedModelState);
        CollectionAssert.AreEqual(current.QuantizedBestState, older.QuantizedBestState);
        Assert.IsEmpty(older.QuantizedAverageState);
        var resumed = Train(folder, epochEnded: null, options: older.Options); // as train --resume does: the checkpoint's own options
        Assert.AreEqual(2, resumed.Final.BestEpoch);
        Assert.AreEqual(2, TrainingCheckpoint.LoadFrom(folder).QuantizedRecords.Count, "the resumed run finished, writing this build's checkpoint");

        File.WriteAllBytes(TrainingCheckpoint.PathIn(folder), ChecksummedFrame.ToBytes(new ChecksummedFrame.Kind("QUNETCK1"u8.ToArray(), 1, "training checkpoint"), "{}"u8.ToArray(), [.. Enumerable.Repeat(ReadOnlyMemory<byte>.Empty, 7)]));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadFrom(folder)).Message, "training checkpoint version 1; this build reads versions 2 to 3.");
    }

    [TestMethod]
    public void ACheckpointFromBeforeTheSettledWindowResumesChoosingAmongEveryEpoch()
    {
        using var temp = new TempFolder("quantunet-resume");
        var folder = temp.Path;
        var options = Options with { SettledEpochFraction = new TrainingOptions().SettledEpochFraction };
        using (var stop = new CancellationTokenSource())
            Assert.ThrowsExactly<OperationCanceledException>(() => Train(folder, (name, record) =>
            {
                if (name == WarmStartTraining.FloatName && record.Epoch == 1) stop.Cancel();
            }, stop.Token, options));
        var current = TrainingCheckpoint.LoadFrom(folder);
        Assert.AreEqual(0.4, current.Options.SettledEpochFraction, "the checkpoint keeps the run's own window");

        // The same version-3 checkpoint as a build before the window wrote it: no such option in its header.
        SaveAsOlderBuild(folder, current, TrainingCheckpoint.FormatVersion, [current.FloatModelState, current.QuantizedModelState, current.OptimizerState,
            current.FloatBestState, current.QuantizedBestState, current.FloatAverageState, current.QuantizedAverageState], nameof(TrainingOptions.SettledEpochFraction));
        var older = TrainingCheckpoint.LoadFrom(folder);
        Assert.AreEqual(1, older.Options.SettledEpochFraction);
        Assert.AreEqual(current.Options with { SettledEpochFraction = 1 }, older.Options, "nothing else of the options changes");
    }

    /// <summary>
    /// Writes <paramref name="current"/> into <paramref name="folder"/> as an older build would have: framed as checkpoint
    /// <paramref name="version"/> with <paramref name="sections"/>, its options without the fields that build did not know.
    /// </summary>
    private static void SaveAsOlderBuild(string folder, TrainingCheckpoint current, int version, ReadOnlyMemory<byte>[] sections, params string[] unknownOptions)
    {
        var header = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(current, ChecksummedFrame.Json))!.AsObject();
        foreach (var option in unknownOptions) Assert.IsTrue(header["Options"]!.AsObject().Remove(option), $"the header has no option {option} to remove");
        ChecksummedFrame.Save(TrainingCheckpoint.PathIn(folder), new ChecksummedFrame.Kind("QUNETCK1"u8.ToArray(), version, "training checkpoint"),
            JsonSerializer.SerializeToUtf8Bytes(header), sections);
    }

    private static WarmStartResult Train(string folder, Action<string, EpochRecord>? epochEnded, CancellationToken cancellation = default, TrainingOptions? options = null) =>
        WarmStartTraining.Train(Architecture, Training, Validation, (options ?? Options) with { CheckpointDirectory = folder }, Schedule,
            epochEnded, cancellation: cancellation);

    /// <summary>The records as JSON (their bitwidth lists compare by reference), without the wall times.</summary>
    private static string WithoutTimes(IEnumerable<EpochRecord> records) => JsonSerializer.Serialize(records.Select(r => r with { Seconds = 0 }));
}
