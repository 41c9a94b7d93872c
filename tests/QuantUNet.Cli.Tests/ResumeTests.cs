using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// <c>quantunet train</c> killed with SIGKILL in the middle of an epoch, then <c>train --resume</c>: the run
/// ends bit-identical to an uninterrupted run of the same seed.
/// </summary>
[TestClass]
public sealed class ResumeTests
{
    // 2 float warm-start epochs, then 2 QAT epochs, of 3 steps each; 2 threads in every run, as bit-identity needs.
    private static readonly string[] Settings =
        ["--size", "32", "--width", "4", "--epochs", "4", "--float-epochs", "2", "--batch", "4", "--val-fraction", "0.25", "--seed", "7", "--threads", "2"];

    private static string root = null!;

    public TestContext TestContext { get; set; } = null!;
    private static string data = null!;
    private static string uninterrupted = null!;

    [ClassInitialize]
    public static void TrainWithoutInterruption(TestContext _)
    {
        root = Directory.CreateTempSubdirectory("quantunet-resume").FullName;
        data = Path.Combine(root, "data");
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), SlicesPerPatient = 4, Seed = 3 });
        // One subfolder a patient, so that the split holds out whole patients.
        ImageFolderDataset.Write(generator.Generate(16).Select(s => s with { Name = $"{s.GroupId}/{s.Name}" }), data);
        uninterrupted = Path.Combine(root, "uninterrupted");
        var train = CommandRunner.Run(["train", "--data", data, "--out", uninterrupted, .. Settings]);
        Assert.AreEqual(0, train.ExitCode, train.Output + train.Error);
    }

    [ClassCleanup]
    public static void DeleteRuns() => Directory.Delete(root, recursive: true);

    [TestMethod]
    [DataRow("float epoch  1", TrainingPhase.Float, DisplayName = "killed in the float warm start")]
    [DataRow("quant epoch  1", TrainingPhase.Quantized, DisplayName = "killed in quantization-aware training")]
    public void AKilledRunResumesToTheUninterruptedResult(string epochLine, TrainingPhase phase)
    {
        var run = Path.Combine(root, $"killed-{phase}");
        KillAfter(epochLine, ["train", "--data", data, "--out", run, .. Settings]);
        var atKill = TrainingCheckpoint.LoadFrom(run);
        Assert.AreEqual(phase, atKill.Phase, "the kill came in the phase after the logged epoch");
        Assert.IsFalse(File.Exists(Path.Combine(run, "model.zip")), "the killed run must not have finished");
        TestContext.WriteLine($"killed after {atKill.Phase} epoch {atKill.PhaseEpochsDone} of {atKill.Schedule.Epochs(atKill.Phase)} had been checkpointed");
        // What a kill in the middle of a checkpoint write leaves behind (AtomicFile's temporary name); the resume clears it.
        File.WriteAllBytes(Path.Combine(run, $".{TrainingCheckpoint.FileName}.0123456789abcdef.tmp"), [1, 2, 3]);

        var resumed = CommandRunner.Run("train", "--resume", run);
        Assert.AreEqual(0, resumed.ExitCode, resumed.Output + resumed.Error);
        StringAssert.Contains(resumed.Output, "resuming from");

        var expected = TrainingCheckpoint.LoadFrom(uninterrupted);
        var actual = TrainingCheckpoint.LoadFrom(run);
        CollectionAssert.AreEqual(expected.QuantizedModelState, actual.QuantizedModelState, "QuantU-Net's weights, bitwidth offsets, thresholds or calibration differ");
        CollectionAssert.AreEqual(expected.FloatModelState, actual.FloatModelState, "the float warm start differs");
        CollectionAssert.AreEqual(expected.OptimizerState, actual.OptimizerState, "Adam's state differs");
        Assert.AreEqual(WithoutTimes(expected.FloatRecords.Concat(expected.QuantizedRecords)), WithoutTimes(actual.FloatRecords.Concat(actual.QuantizedRecords)));
        AssertSameWeights(Path.Combine(uninterrupted, "model.zip"), Path.Combine(run, "model.zip"));
        Assert.IsEmpty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories), "temporary files left behind");
    }

    [TestMethod]
    public void SavedEpochsOutliveAKillAndEvaluateScoresThem()
    {
        var run = Path.Combine(root, "save-epochs");
        KillAfter("quant epoch  1", ["train", "--data", data, "--out", run, "--save-epochs", .. Settings]);
        var resumed = CommandRunner.Run("train", "--resume", run);
        Assert.AreEqual(0, resumed.ExitCode, resumed.Output + resumed.Error);

        var epochs = Path.Combine(run, "epochs");
        CollectionAssert.AreEqual(new[] { "float-01.qunet", "float-02.qunet", "quant-01.qunet", "quant-02.qunet" },
            Directory.GetFiles(epochs).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList(), "one package an epoch, the resumed run's included, and no temporary file");
        // QAT epoch 2 is the only one with frozen widths, so it is the kept model: the uninterrupted run's, kill or not.
        AssertSameWeights(Path.Combine(uninterrupted, "model.zip"), Path.Combine(epochs, "quant-02.qunet"));
        var kept = CommandRunner.Run("evaluate", "--model", Path.Combine(run, "model.zip"), "--data", data, "--out", Path.Combine(run, "eval-kept"), "--threads", "2");
        var lastEpoch = CommandRunner.Run("evaluate", "--model", Path.Combine(epochs, "quant-02.qunet"), "--data", data, "--out", Path.Combine(run, "eval-epoch-2"), "--threads", "2");
        Assert.AreEqual(0, lastEpoch.ExitCode, lastEpoch.Output + lastEpoch.Error);
        StringAssert.StartsWith(lastEpoch.Output.Split('\n')[1], "integer: Dice", "a QAT epoch's file scores with its integer model");
        Assert.AreEqual(Figures(kept.Output), Figures(lastEpoch.Output));

        Assert.IsTrue(TrainingCheckpoint.LoadFrom(run).CallerSettings!.Value.GetProperty("SaveEpochs").GetBoolean(), "--resume must know to go on writing them");
        Assert.IsFalse(TrainingCheckpoint.LoadFrom(uninterrupted).CallerSettings!.Value.TryGetProperty("SaveEpochs", out _),
            "without the option the stored settings are those of a build before it, so that its runs still match");

        static string Figures(string output) => output.Split('\n')[1].Split(" on ")[0];
    }

    [TestMethod]
    public void ARunBegunWithOtherDefaultsResumesWithItsOwn()
    {
        // What a run begun by an older build looks like to this one: a checkpoint whose options and architecture are not
        // today's defaults (a quarter of QAT frozen; activation widths floored at 2 bits, not 4).
        var run = Path.Combine(root, "older-defaults");
        KillAfter("float epoch  1", ["train", "--data", data, "--out", run, .. Settings]);
        var atKill = TrainingCheckpoint.LoadFrom(run);
        Assert.AreEqual(TrainingPhase.Float, atKill.Phase);
        var olderOptions = atKill.Options with { FrozenWidthFraction = 0.25 };
        var olderArchitecture = atKill.Architecture with { Quantization = atKill.Architecture.Quantization with { ActivationBits = new(Min: 2) } };
        Assert.AreNotEqual(atKill.Options, olderOptions, "0.25 must not be today's default, or this test proves nothing");
        Assert.AreNotEqual(atKill.Architecture, olderArchitecture, "nor 2 bits");
        (atKill with { Options = olderOptions, Architecture = olderArchitecture }).SaveIn(run);

        var resumed = CommandRunner.Run("train", "--resume", run);
        Assert.AreEqual(0, resumed.ExitCode, resumed.Output + resumed.Error);
        var finished = TrainingCheckpoint.LoadFrom(run);
        Assert.AreEqual(TrainingPhase.Quantized, finished.Phase);
        Assert.AreEqual(finished.Schedule.QuantizedEpochs, finished.PhaseEpochsDone, "the resumed run did not finish");
        Assert.AreEqual(olderOptions, finished.Options, "the resumed run trained with options other than its checkpoint's");
        Assert.AreEqual(olderArchitecture, finished.Architecture with { Quantize = olderArchitecture.Quantize });
    }

    [TestMethod]
    public void ResumeRefusesOtherOptionsAndAFolderWithoutACheckpoint()
    {
        var conflict = CommandRunner.Run("train", "--resume", uninterrupted, "--epochs", "9");
        Assert.AreEqual(1, conflict.ExitCode);
        StringAssert.Contains(conflict.Error, "drop --epochs");

        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        var missing = CommandRunner.Run("train", "--resume", empty);
        Assert.AreEqual(1, missing.ExitCode);
        StringAssert.Contains(missing.Error, TrainingCheckpoint.FileName);
        Assert.DoesNotContain("   at ", missing.Error, "a user error prints no stack trace");
    }

    /// <summary>Starts quantunet, waits for <paramref name="epochLine"/> (its checkpoint is written and the next epoch has begun), and kills it with SIGKILL.</summary>
    private static void KillAfter(string epochLine, string[] arguments)
    {
        using var process = CommandRunner.Start(arguments);
        var error = process.StandardError.ReadToEndAsync();
        var output = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            while (process.StandardOutput.ReadLineAsync(timeout.Token).AsTask().GetAwaiter().GetResult() is { } line)
            {
                output.Add(line);
                if (line.Contains(epochLine, StringComparison.Ordinal)) return;
            }
            Assert.Fail($"quantunet ended without logging '{epochLine}':\n{string.Join('\n', output)}\n{error.Result}");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>The records as JSON (their bitwidth lists compare by reference), without the wall times.</summary>
    private static string WithoutTimes(IEnumerable<EpochRecord> records) => JsonSerializer.Serialize(records.Select(r => r with { Seconds = 0 }));

    private static void AssertSameWeights(string expectedPath, string actualPath)
    {
        var (expected, _) = ModelFile.Load(expectedPath);
        var (actual, _) = ModelFile.Load(actualPath);
        using (expected)
        using (actual)
        {
            foreach (var ((name, a), (_, b)) in expected.state_dict().Zip(actual.state_dict()))
                Assert.IsTrue(a.equal(b).all().item<bool>(), $"{name} differs from the uninterrupted run's");
        }
    }
}
