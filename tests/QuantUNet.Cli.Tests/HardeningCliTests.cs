using System.Diagnostics;
using QuantUNet.Data;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// Issue 15: no silent data loss, no stack traces, no hangs. Each case ends with its documented result, or with exit code 1
/// and one stderr line naming the option or path and the cause, and nothing half-written (docs/bad-input.md).
/// </summary>
[TestClass]
public sealed class HardeningCliTests
{
    private const int Size = 32;
    private static readonly string[] RunFolderLockNames = [".quantunet.lock", ".quantunet.lock.holder"];
    private static TempFolder _shared = null!;
    private static string _model = "";
    private static string _data = "";

    [ClassInitialize]
    public static void SaveAModelAndData(TestContext context)
    {
        _shared = new TempFolder("quantunet-hardening");
        _model = UntrainedModel.Save(_shared.File("model.qunet"), Size);
        _data = _shared.File("data");
        new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 3 }).WriteDataset(4, _data);
    }

    [ClassCleanup]
    public static void CleanUp() => _shared.Dispose();

    [TestMethod]
    [DataRow("--batch", "0", "--batch 0: the images per training step must be at least 1.")]
    [DataRow("--size", "100000", "--size 100000: the side must be a positive multiple of 16, at most 8192.")]
    [DataRow("--width", "0", "--width 0: the U-Net's base width must be 1 to 256.")]
    [DataRow("--epochs", "0", "--epochs 0: the number of epochs must be at least 1.")]
    [DataRow("--channels", "2", "--channels 2: a model reads 1 (grey) or 3 (RGB) channels.")]
    [DataRow("--axis", "3", "--axis 3: the NIfTI array axis must be 0 to 2.")]
    [DataRow("--slab", "0", "--slab 0: the slices per group must be at least 1.")]
    [DataRow("--threads", "-1", "--threads -1: the thread count (0: all cores) must be at least 0.")]
    [DataRow("--val-fraction", "1", "--val-fraction 1: the share of patients held out must be at least 0 and below 1.")]
    [DataRow("--target-bits", "9", "--target-bits 9: the average weight bits to aim for must lie in the learnable range, 2 to 8.")]
    [DataRow("--target-bits", "1.5", "--target-bits 1.5: the average weight bits to aim for must lie in the learnable range, 2 to 8.")]
    [DataRow("--lambda", "-0.5", "--lambda -0.5: the bitwidth term's weight must be 0 or a positive number.")]
    [DataRow("--learning-rate", "0", "--learning-rate 0: a learning rate must be a positive number.")]
    [DataRow("--qat-rate-factor", "1.5", "--qat-rate-factor 1.5: the share of the learning rate must lie in (0, 1].")]
    [DataRow("--frozen-share", "1", "--frozen-share 1: the share of QAT epochs with frozen widths must lie in [0, 1).")]
    [DataRow("--settled-share", "0", "--settled-share 0: the share of the schedule whose epochs may be kept must lie in (0, 1].")]
    [DataRow("--weight-average-epochs", "-1", "--weight-average-epochs -1: the average's horizon must be 0 (none) or a positive number of epochs.")]
    [DataRow("--schedule", "Linear", "--schedule Linear: not one of Constant, Cosine.")]
    [DataRow("--augmentation", "2", "--augmentation 2: not one of None, Flips, Full.")]
    [DataRow("--bitwidth-loss", "mean", "--bitwidth-loss mean: not one of PlainMean, SizeWeighted.")]
    public void TrainChecksEachOptionBeforeReadingData(string option, string value, string expected)
    {
        using var folder = new TempFolder("quantunet-options");
        // The data folder does not exist: an option error that comes first proves no data was read.
        var result = CommandRunner.Run("train", "--data", folder.File("no-data"), "--out", folder.File("out"), option, value);

        AssertOneLineError(result, expected);
        Assert.IsFalse(Directory.Exists(folder.File("out")), "nothing is written");
    }

    [TestMethod]
    public void EvaluateAndPredictCheckTheirOptionsBeforeReadingData()
    {
        using var folder = new TempFolder("quantunet-options");
        AssertOneLineError(CommandRunner.Run("evaluate", "--model", _model, "--data", folder.File("no-data"), "--out", folder.File("out"), "--threads", "-2"),
            "--threads -2: the thread count (0: all cores) must be at least 0.");
        AssertOneLineError(CommandRunner.Run("predict", "--model", _model, "--input", _data, "--out", folder.File("out"), "--size", "100000"),
            "--size 100000: the side must be 1 to 8192.");
        // A parse error: System.CommandLine writes the line to stderr (the usage to stdout) and exits with 1.
        var badMode = CommandRunner.Run("evaluate", "--model", _model, "--data", _data, "--out", folder.File("out"), "--mode", "FakeQuantized");
        Assert.AreEqual(1, badMode.ExitCode, badMode.Error);
        Assert.AreEqual("--mode FakeQuantized: not one of integer, fakequant, float.", badMode.Error.Trim(), "one line, no stack trace");
        Assert.IsFalse(Directory.Exists(folder.File("out")));
    }

    [TestMethod]
    public void AnOutputThatIsAFileOrAFolderOfTheWrongKindIsNamed()
    {
        using var folder = new TempFolder("quantunet-outputs");
        File.WriteAllText(folder.File("file"), "not a folder");
        Directory.CreateDirectory(folder.File("folder"));

        AssertOneLineError(CommandRunner.Run("train", "--data", _data, "--out", folder.File("file"), "--size", $"{Size}"), $"--out {folder.File("file")}: is a file, not a folder.");
        AssertOneLineError(CommandRunner.Run("evaluate", "--model", _model, "--data", _data, "--out", folder.File("file")), $"--out {folder.File("file")}: is a file, not a folder.");
        AssertOneLineError(CommandRunner.Run("export", "--model", _model, "--out", folder.File("folder")), $"--out {folder.File("folder")}: is a folder; give the file to write.");
        Assert.AreEqual("not a folder", File.ReadAllText(folder.File("file")));
        Assert.IsEmpty(Directory.GetFileSystemEntries(folder.File("folder")));
    }

    [TestMethod]
    [DataRow("ro", "Read-only file system")]
    [DataRow("full", "No space left on device")]
    public void AReadOnlyOrFullFileSystemIsNamedBeforeTrainingReadsData(string kind, string cause)
    {
        using var folder = new TempFolder("quantunet-mount");
        using var mount = TinyMount.TryCreate(folder.File("mnt"), readOnly: kind == "ro");
        if (mount is null) Assert.Inconclusive("cannot mount a tmpfs here (needs root); the case is left untested on this machine");
        if (kind == "full") mount.Fill();
        var output = Path.Combine(folder.File("mnt"), "run");

        var result = CommandRunner.Run("train", "--data", _data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "1");

        Assert.AreEqual(1, result.ExitCode, result.Output + result.Error);
        StringAssert.StartsWith(result.Error, $"quantunet: --out {output}: cannot write there ({cause}");
        AssertOneLine(result.Error);
        Assert.DoesNotContain("data:", result.Output, "refused before the data is read");
        Assert.IsFalse(Directory.Exists(output), "nothing is left");
    }

    [TestMethod]
    public void InfoWithHomeAndTempUnwritableEndsInOneLineOrNeedsNoCache()
    {
        using var folder = new TempFolder("quantunet-home");
        using var mount = TinyMount.TryCreate(folder.File("mnt"), readOnly: true);
        if (mount is null) Assert.Inconclusive("cannot mount a read-only tmpfs here (needs root); the case is left untested on this machine");
        var environment = new Dictionary<string, string?> { ["HOME"] = folder.File("mnt"), ["TMPDIR"] = folder.File("mnt"), ["XDG_CACHE_HOME"] = null };

        var result = CommandRunner.Run(environment, "info");

        if (result.ExitCode == 0)
        {
            // Where TorchSharp's own library loads (newer glibc), nothing is patched and no cache is needed.
            StringAssert.Contains(result.Output, "patched: False");
            return;
        }
        Assert.AreEqual(1, result.ExitCode, result.Error);
        StringAssert.StartsWith(result.Error, "quantunet: No writable cache folder for the patched TorchSharp native library (set XDG_CACHE_HOME or TMPDIR to a writable folder); tried ");
        StringAssert.Contains(result.Error, Path.Combine(folder.File("mnt"), ".cache", "quantunet"));
        AssertOneLine(result.Error);
    }

    [TestMethod]
    public void ASecondTrainIntoOneFolderIsRefusedNamingTheHolderAndCtrlCSaysHowToResume()
    {
        using var folder = new TempFolder("quantunet-lock");
        var output = folder.File("run");
        using var first = CommandRunner.Start("train", "--data", _data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "200", "--batch", "2", "--threads", "1");
        var firstError = first.StandardError.ReadToEndAsync();
        var firstOutput = first.StandardOutput.ReadToEndAsync();
        try
        {
            WaitFor(() => TrainingCheckpoint.ExistsIn(output), first, "the first run's checkpoint");

            var second = CommandRunner.Run("train", "--data", _data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "2");

            AssertOneLine(second.Error);
            StringAssert.StartsWith(second.Error, $"quantunet: --out {output}: another quantunet run is writing there (held by pid {first.Id}: quantunet train --data {_data}");
            Assert.AreEqual(1, second.ExitCode);

            CommandRunner.Interrupt(first);
            Assert.IsTrue(first.WaitForExit(TimeSpan.FromMinutes(2)), "the first run stops at its next step");
            Assert.AreEqual(130, first.ExitCode, firstOutput.Result + firstError.Result);
            Assert.AreEqual($"quantunet: interrupted; the last finished epoch is kept in {TrainingCheckpoint.PathIn(output)}: continue with quantunet train --resume {output}",
                firstError.Result.TrimEnd('\n').Split('\n')[^1]);
            Assert.IsEmpty(Directory.GetFiles(output, "*.tmp"), "no half-written file");
        }
        finally
        {
            if (!first.HasExited) first.Kill(entireProcessTree: true);
        }
    }

    [TestMethod]
    public void ADamagedCheckpointSaysHowToRecover()
    {
        using var folder = new TempFolder("quantunet-damaged");
        var output = folder.File("run");
        Directory.CreateDirectory(output);
        File.WriteAllText(TrainingCheckpoint.PathIn(output), "half a checkpoint");

        var result = CommandRunner.Run("train", "--data", _data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "2", "--threads", "1");

        Assert.AreEqual(1, result.ExitCode, result.Error);
        StringAssert.StartsWith(result.Error, $"quantunet: {TrainingCheckpoint.PathIn(output)}: ");
        StringAssert.Contains(result.Error, "; it blocks this run folder: delete it to train from the start (its finished epochs are lost), or train into another folder.");
        AssertOneLine(result.Error);
    }

    [TestMethod]
    public void PredictRefusesTwoImagesWithOneOutputNameAndTheInputFolderAsOutput()
    {
        using var folder = new TempFolder("quantunet-collide");
        var input = folder.File("in");
        WriteSlices(input, "scan.png", "scan.jpg", "scan.tif");

        AssertOneLineError(CommandRunner.Run("predict", "--model", _model, "--input", input, "--out", folder.File("out")),
            $"--input {input}: {Path.Combine(input, "scan.jpg")} and {Path.Combine(input, "scan.png")} would both write scan_mask.png; rename one, or predict them into separate folders.");
        AssertOneLineError(CommandRunner.Run("predict", "--model", _model, "--input", input, "--out", input),
            $"--out {input}: is the --input folder; its masks would replace any NAME_mask ground truth there, so choose another folder.");
        Assert.IsFalse(Directory.Exists(folder.File("out")));
        Assert.HasCount(3, Directory.GetFiles(input), "nothing was written beside the inputs");
    }

    [TestMethod]
    public void PredictScoresOnlyInputImagesAndSaysWhatItSkipped()
    {
        using var folder = new TempFolder("quantunet-inputs");
        var input = folder.File("in");
        WriteSlices(input, "scan.png", "scan_mask.png", "scan_overlay.png", "other.webp");
        File.WriteAllText(Path.Combine(input, "._scan.png"), "macOS resource fork");
        MakeFifo(Path.Combine(input, "pipe.png"));
        var output = Path.Combine(input, "out");
        WriteSlices(output, "old.png");

        var result = CommandRunner.Run("predict", "--model", _model, "--input", input, "--out", output, "--threads", "1");

        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Output, "wrote masks and overlays of 2 images");
        Assert.AreEqual($"quantunet: warning: {input}: skipped 1 entry that cannot be read as image files: {Path.Combine(input, "pipe.png")} "
            + "(0 bytes (an empty file, or not a regular file: a FIFO, device or socket); not read).", result.Error.TrimEnd('\n'));
        CollectionAssert.AreEquivalent(new[] { "old.png", "other_mask.png", "other_overlay.png", "scan_mask.png", "scan_overlay.png" },
            Directory.GetFiles(output).Select(Path.GetFileName).Where(name => !RunFolderLockNames.Contains(name)).ToArray());
    }

    [TestMethod]
    public void CtrlCDuringPredictLeavesOnlyWholeFiles()
    {
        using var folder = new TempFolder("quantunet-predict-interrupt");
        var input = folder.File("in");
        var slices = new SyntheticMriGenerator(new() { Size = ImageSize.Square(160), Seed = 4 }).Generate(240);
        foreach (var slice in slices)
            ImageFile.WriteImage(Path.Combine(input, slice.Name + ".png"), new PlanarImage(1, 160, 160, slice.Image));
        var output = folder.File("out");
        using var predict = CommandRunner.Start("predict", "--model", _model, "--input", input, "--out", output, "--threads", "1");
        var error = predict.StandardError.ReadToEndAsync();
        try
        {
            WaitFor(() => Directory.Exists(output) && Directory.EnumerateFiles(output, "*_overlay.png").Any(), predict, "the first overlay");
            CommandRunner.Interrupt(predict);
            Assert.IsTrue(predict.WaitForExit(TimeSpan.FromMinutes(2)));

            Assert.AreEqual(130, predict.ExitCode, error.Result);
            var masks = Directory.GetFiles(output, "*_mask.png");
            Assert.AreEqual($"quantunet: interrupted after {masks.Length} images; each mask and overlay written is whole, and none is half-written.", error.Result.TrimEnd('\n'));
            Assert.IsLessThan(slices.Count, masks.Length, "interrupted before the end");
            Assert.HasCount(masks.Length, Directory.GetFiles(output, "*_overlay.png"));
            Assert.IsEmpty(Directory.GetFiles(output, "*.tmp"), "no temporary file is left");
            foreach (var mask in masks)
                Assert.AreEqual(160, ImageFile.ReadMask(mask).Height, mask);
        }
        finally
        {
            if (!predict.HasExited) predict.Kill(entireProcessTree: true);
        }
    }

    [TestMethod]
    public void EvaluateCountsEmptyMasksWarnsAboutOrphansAndLostLabelsAndStrictRefuses()
    {
        using var folder = new TempFolder("quantunet-warnings");
        var data = folder.File("data");
        var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 3 }).WriteDataset(4, data);
        var masks = Path.Combine(data, ImageFolderDataset.MasksFolder);
        File.Copy(Path.Combine(masks, samples[0].Name + ".png"), Path.Combine(masks, "stray.png"));
        // A label map of 0 and 2: non-zero data the mask rule reads as empty.
        var relabelled = samples.First(s => s.HasForeground);
        ImageFile.WriteImage(Path.Combine(masks, relabelled.Name + ".png"), new PlanarImage(1, Size, Size, [.. relabelled.Mask.Select(v => v * 2 / 255f)]));

        var result = CommandRunner.Run("evaluate", "--model", _model, "--data", data, "--out", folder.File("out"), "--threads", "1");

        Assert.AreEqual(0, result.ExitCode, result.Error);
        int empty = samples.Count(s => !s.HasForeground) + 1;
        StringAssert.Contains(result.Output, $"data: 4 slices ({empty} of them with an empty mask), {Size}x{Size}");
        CollectionAssert.AreEqual(new[]
        {
            $"quantunet: warning: {data}: 1 mask file has no image and is not read: {Path.Combine(masks, "stray.png")}.",
            $"quantunet: warning: {data}: 1 mask file holds non-zero values that the mask rule reads as empty (a multi-class label map, or foreground darker than half the scale?): "
                + $"{Path.Combine(masks, relabelled.Name + ".png")}.",
        }, result.Error.TrimEnd('\n').Split('\n'));

        var strict = CommandRunner.Run("evaluate", "--model", _model, "--data", data, "--out", folder.File("strict"), "--strict");

        AssertOneLineError(strict, $"{data}: 1 mask file has no image and is not read: {Path.Combine(masks, "stray.png")}; --strict makes this an error.");
        Assert.IsFalse(Directory.Exists(folder.File("strict")));
    }

    private static void AssertOneLineError(CommandRunner.Result result, string message)
    {
        Assert.AreEqual(1, result.ExitCode, result.Output + result.Error);
        Assert.AreEqual($"quantunet: {message}", result.Error.TrimEnd('\n'), "one line, no stack trace");
    }

    private static void AssertOneLine(string error) => Assert.AreEqual(1, error.TrimEnd('\n').Split('\n').Length, $"one line, no stack trace: {error}");

    /// <summary>Synthetic slices as PNG bytes under each name: Skia decodes by content (a .tif is never decoded: the case refuses it before reading).</summary>
    private static void WriteSlices(string folder, params string[] names)
    {
        var slices = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 8 }).Generate(names.Length);
        for (int i = 0; i < names.Length; i++)
            ImageFile.WriteImage(Path.Combine(folder, names[i]), new PlanarImage(1, Size, Size, slices[i].Image));
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.AreEqual(0, mkfifo.ExitCode, "mkfifo failed");
    }

    private static void WaitFor(Func<bool> condition, Process process, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited) Assert.Fail($"the process ended (exit code {process.ExitCode}) before {what} appeared");
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) Assert.Fail($"{what} did not appear in 5 minutes");
            Thread.Sleep(20);
        }
    }
}
