using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Report;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Sweep;

/// <summary>
/// The bits-against-Dice front: the float baseline trained once, and one QuantU-Net a bit budget, each started from the
/// float weights at the warm-start epoch and trained as many QAT epochs as <c>train</c>'s QAT phase, so a point is what
/// <c>train --target-bits B</c> gives. Each run has its own sub-folder and checkpoint, and a finished one its
/// result.json, so running the same sweep again continues where it stopped and redoes nothing finished.
/// </summary>
internal static class SweepRun
{
    public const string SettingsFileName = "sweep-settings.json", ResultFileName = "result.json", FloatFolder = "float";
    public const string WarmStartFileName = "warm-start.qunet", FigureFolder = "figures", FrontFileName = "front.png";

    /// <summary>The folder of the QuantU-Net with bit budget <paramref name="target"/>, e.g. bits-4 or bits-4.24.</summary>
    public static string PointFolder(double target) => "bits-" + target.ToString(CultureInfo.InvariantCulture);

    /// <param name="settings">The training settings every run shares (--out the sweep's folder, no target bits).</param>
    public static SweepReport Run(TrainCommandOptions settings, IReadOnlyList<double> targets)
    {
        var clock = Stopwatch.StartNew();
        if (settings.ValidationFraction == 0)
            throw new ArgumentException("--val-fraction 0: a sweep scores every model on the validation patients; hold some out.");
        var schedule = WarmStartSchedule.Split(settings.Epochs, settings.FloatEpochs);
        Directory.CreateDirectory(settings.OutDirectory);
        CheckSameSettings(settings);
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        int scoringThreads = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount;

        var (training, validation, split) = TrainCommand.LoadSplit(settings);
        var floatPoint = Finished(Path.Combine(settings.OutDirectory, FloatFolder))
            ?? TrainFloat(settings, schedule, training, validation);
        var points = targets.Select(target => Finished(Path.Combine(settings.OutDirectory, PointFolder(target)))
            ?? TrainQuantized(settings, schedule, target, training, validation, scoringThreads)).ToList();

        var report = new SweepReport
        {
            Data = settings.Data, ImageSize = settings.Size, BaseWidth = settings.Width, Channels = settings.Channels, Seed = settings.Seed,
            Recipe = TrainingRecipe.Of(TrainCommand.TrainingOptionsOf(settings)), FloatEpochs = settings.Epochs, WarmStartEpoch = schedule.WarmStartEpoch, QuantizedEpochs = schedule.QuantizedEpochs, Split = split,
            Float = floatPoint, Points = points, Seconds = clock.Elapsed.TotalSeconds,
        };
        JsonReport.Write(settings.OutDirectory, SweepReport.FileName, report);
        FrontFigure.Write(Path.Combine(Directory.CreateDirectory(Path.Combine(settings.OutDirectory, FigureFolder)).FullName, FrontFileName), report);
        return report;
    }

    /// <summary>
    /// Records the settings in a new sweep folder, or refuses a folder whose sweep had other ones, naming them: its runs
    /// and checkpoints belong to those. The targets are not settings of the folder; a new one adds a point.
    /// </summary>
    private static void CheckSameSettings(TrainCommandOptions settings)
    {
        var path = Path.Combine(settings.OutDirectory, SettingsFileName);
        // The folder may move, so its path is not a setting.
        var current = JsonSerializer.SerializeToElement(settings with { OutDirectory = "" });
        if (!File.Exists(path))
        {
            if (Directory.EnumerateFileSystemEntries(settings.OutDirectory).Any(entry => !RunFolderLock.IsLockFile(entry)))
                throw new ArgumentException($"--out {settings.OutDirectory}: the folder holds files but no {SettingsFileName}, so it is not a sweep's folder; sweep into an empty or new folder.");
            AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(current));
            return;
        }
        var stored = JsonDocument.Parse(File.ReadAllBytes(path)).RootElement;
        var differences = Differences(stored, current, "").ToList();
        if (differences.Count > 0)
            throw new ArgumentException($"--out {settings.OutDirectory} holds a sweep with other settings ({string.Join("; ", differences)}): "
                + "run it again with its own settings to continue it, or sweep into another folder.");
    }

    private static IEnumerable<string> Differences(JsonElement stored, JsonElement current, string prefix)
    {
        if (stored.ValueKind == JsonValueKind.Object && current.ValueKind == JsonValueKind.Object)
        {
            var names = stored.EnumerateObject().Select(p => p.Name).Union(current.EnumerateObject().Select(p => p.Name));
            return names.SelectMany(name => Differences(
                stored.TryGetProperty(name, out var a) ? a : default, current.TryGetProperty(name, out var b) ? b : default, prefix + name + "."));
        }
        string Text(JsonElement e) => e.ValueKind == JsonValueKind.Undefined ? "none" : e.GetRawText();
        return Text(stored) == Text(current) ? [] : [$"{prefix.TrimEnd('.')}: {Text(stored)} there, {Text(current)} now"];
    }

    private static SweepReport.Point? Finished(string folder)
    {
        var path = Path.Combine(folder, ResultFileName);
        return File.Exists(path) ? RunFile.Read<SweepReport.Point>(path, "sweep result") : null;
    }

    /// <summary>The model file of each point's folder: a package, with the integer model inside for QuantU-Net.</summary>
    public const string ModelFileName = "model" + ModelPackage.Extension;

    /// <summary>Writes the package of <paramref name="model"/>; a QuantU-Net whose integer export is refused is an error here, since its point is scored by the integer engine.</summary>
    private static ModelPackage SavePackage(QuantUNetModel model, TrainCommandOptions settings, string path)
    {
        var package = ModelFile.Package(model, ImageSize.Square(settings.Size), new TrainingRecord { Seed = settings.Seed },
            problem => throw new InvalidDataException($"{path}: {problem}"));
        package.Save(path);
        return package;
    }

    /// <summary>The float baseline, all its epochs, keeping its weights at the warm-start epoch for the QuantU-Nets.</summary>
    private static SweepReport.Point TrainFloat(
        TrainCommandOptions settings, WarmStartSchedule schedule, IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample> validation)
    {
        var clock = Stopwatch.StartNew();
        var folder = Path.Combine(settings.OutDirectory, FloatFolder);
        var warmStartPath = Path.Combine(folder, WarmStartFileName);
        var (architecture, options) = RunSetup(settings with { OutDirectory = folder }, TrainCommand.TrainingOptionsOf, TrainCommand.ArchitectureOf(settings, quantize: false));
        using var model = SegmentationTrainer.CreateModel(architecture, settings.Seed);
        var result = Train($"float U-Net: {settings.Epochs} epochs", WarmStartTraining.FloatName, model, training, validation, options, record =>
        {
            // A resumed run replays its epochs with the checkpoint's weights loaded: those are the warm-start epoch's
            // only when the checkpoint is that epoch's, which is the one case where the file can still be missing.
            if (record.Epoch == schedule.WarmStartEpoch && !File.Exists(warmStartPath))
                ModelFile.Save(model, warmStartPath, ImageSize.Square(settings.Size), new TrainingRecord { Seed = settings.Seed });
        });
        using var final = result.Model == model ? null : result.Model;
        var package = SavePackage(result.Model, settings, Path.Combine(folder, ModelFileName));
        var point = SweepReport.Point.Of(null, TrainReport.BitFacts.From(result.Model), quantized: false, PackageScores.Of(package, validation, ScoringMode.Float), null, clock.Elapsed.TotalSeconds);
        JsonReport.Write(folder, ResultFileName, point);
        return point;
    }

    /// <summary>QuantU-Net with bit budget <paramref name="target"/> from the float warm start, scored by the integer engine.</summary>
    private static SweepReport.Point TrainQuantized(
        TrainCommandOptions settings, WarmStartSchedule schedule, double target, IReadOnlyList<SegmentationSample> training,
        IReadOnlyList<SegmentationSample> validation, int scoringThreads)
    {
        var clock = Stopwatch.StartNew();
        var folder = Path.Combine(settings.OutDirectory, PointFolder(target));
        var (architecture, options) = RunSetup(settings with { OutDirectory = folder },
            run => TrainCommand.TrainingOptionsOf(run with { Epochs = schedule.QuantizedEpochs, TargetBits = target }).ForWarmStartedQat(),
            TrainCommand.ArchitectureOf(settings, quantize: true));
        using var model = SegmentationTrainer.CreateModel(architecture, settings.Seed);
        using (var warmStart = ModelFile.Load(Path.Combine(settings.OutDirectory, FloatFolder, WarmStartFileName)).Model)
            SegmentationTrainer.CopyWeights(warmStart, model);
        var result = Train($"QuantU-Net, target {target.ToString(CultureInfo.InvariantCulture)} bits: {schedule.QuantizedEpochs} QAT epochs from float epoch {schedule.WarmStartEpoch}",
            WarmStartTraining.QuantizedName, model, training, validation, options, _ => { });
        using var final = result.Model == model ? null : result.Model;

        var package = SavePackage(result.Model, settings, Path.Combine(folder, ModelFileName));
        var point = SweepReport.Point.Of(target, TrainReport.BitFacts.From(result.Model), quantized: true, PackageScores.Of(package, validation, ScoringMode.Integer, scoringThreads),
            IntegerModelFile.Serialize(package.IntegerModel!).Length, clock.Elapsed.TotalSeconds);
        JsonReport.Write(folder, ResultFileName, point);
        return point;
    }

    private static TrainingResult Train(
        string plan, string name, QuantUNetModel model, IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample> validation,
        TrainingOptions options, Action<EpochRecord> epochEnded)
    {
        int stepsPerEpoch = (training.Count + options.BatchSize - 1) / options.BatchSize;
        return ConsoleProgress.Run(plan, "steps", (double)options.Epochs * stepsPerEpoch, progress =>
        {
            progress.Log(plan);
            if (TrainingCheckpoint.ExistsIn(options.CheckpointDirectory!))
                progress.Log($"resuming from {TrainingCheckpoint.PathIn(options.CheckpointDirectory!)}; its finished epochs are replayed");
            return SegmentationTrainer.Train(model, training, validation, options, _ => progress.Advance(1), record =>
            {
                epochEnded(record);
                progress.Log(WarmStartTraining.Describe(name, record));
            }, progress.Log);
        });
    }

    /// <summary>
    /// What the run of <paramref name="run"/> (the sweep's settings with --out its own folder) trains with: its checkpoint's
    /// architecture and training options when it has one, so that a point begun by an older build, whose defaults differed,
    /// continues with its own (the sweep's settings file guards the command-line settings); <paramref name="newArchitecture"/>
    /// and <paramref name="newOptions"/> otherwise.
    /// </summary>
    private static (ArchitectureOptions Architecture, TrainingOptions Options) RunSetup(
        TrainCommandOptions run, Func<TrainCommandOptions, TrainingOptions> newOptions, ArchitectureOptions newArchitecture)
    {
        if (!TrainingCheckpoint.ExistsIn(run.OutDirectory)) return (newArchitecture, newOptions(run));
        return TrainCommand.ResumedSetup(TrainingCheckpoint.LoadFrom(run.OutDirectory), run, newArchitecture.Quantize);
    }
}
