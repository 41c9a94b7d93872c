using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet train</c>: a float U-Net or QuantU-Net on a folder of images and masks, split by patient.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var flags = new TrainFlags();
        var output = new Option<DirectoryInfo>("--out") { Description = $"Folder for the model ({ModelZip.FileName}, an ML.NET model holding the model package) and train.json; it also holds the training checkpoint (required unless --resume)." };
        var floatOnly = new Option<bool>("--float") { Description = "Train the float U-Net baseline instead of QuantU-Net." };
        var targetBits = new Option<double?>("--target-bits")
        {
            Description = "A bit budget: the bitwidth term pulls only while QuantU-Net's average weight bits (plain mean over the layers) exceed it, 2 to 8 (default: none, the paper's plain lambda term).",
        };
        var resume = new Option<DirectoryInfo>("--resume")
        {
            Description = $"Continue the run whose --out folder this is from its last checkpoint ({TrainingCheckpoint.FileName}), losing at most the epoch it was in; "
                        + "the settings come from the checkpoint, so give no other option.",
        };
        var strict = DatasetOptions.Strict();
        var command = new Command("train", "Train QuantU-Net (float warm start, then quantization-aware training with learned bitwidths) or the float U-Net on an image folder or a NIfTI volume; write the model, the integer model and train.json.")
        {
            output, floatOnly, targetBits, resume, strict,
        };
        flags.AddTo(command);
        flags.Dataset.Data.Required = false; // not with --resume; checked below otherwise
        TrainCommandOptions NewSettings(ParseResult parse)
        {
            bool quantize = !parse.GetValue(floatOnly);
            double? budget = parse.GetValue(targetBits) is { } bits ? TrainFlags.CheckTargetBits(bits, $"{targetBits.Name} {bits.ToString(CultureInfo.InvariantCulture)}") : null;
            if (budget is not null && !quantize)
                throw new ArgumentException("--target-bits is a bit budget for QuantU-Net; the float U-Net (--float) has no bitwidths to budget.");
            if (!quantize && flags.Recipe.QuantizedOnly.FirstOrDefault(option => parse.GetResult(option) is { Implicit: false }) is { } quantizerOption)
                throw new ArgumentException($"{quantizerOption.Name} sets QuantU-Net's quantization-aware training; the float U-Net (--float) has none.");
            return flags.Read(parse, parse.GetValue(output)!.FullName, quantize, budget);
        }

        string folder = "";
        command.SetAction(parse => UserErrors.Run(cancellation =>
        {
            var runFolder = parse.GetValue(resume);
            var given = command.Options.Where(option => option != resume && parse.GetResult(option) is { Implicit: false }).Select(option => option.Name).ToList();
            if (runFolder is not null && given.Count > 0)
                throw new ArgumentException($"--resume takes every setting from the run's checkpoint; drop {string.Join(", ", given)}.");
            if (runFolder is null && (parse.GetValue(flags.Dataset.Data) is null || parse.GetValue(output) is null))
                throw new ArgumentException("train needs --data and --out, or --resume DIR to continue a run.");
            if (runFolder is null) flags.Validate(parse);
            folder = (runFolder ?? parse.GetValue(output)!).FullName;
            // Before any data is read: a folder another run writes into, or one that cannot be written, fails now and not after the first epoch.
            using var runLock = RunFolderLock.Acquire(folder, runFolder is null ? "--out" : "--resume");
            var report = ExplainDamagedCheckpoint(folder, () =>
                Run(runFolder is not null ? ResumedRun(folder) : TrainRun.Of(NewSettings(parse)), parse.GetValue(strict), cancellation));
            Console.WriteLine(report.Validation is { } v
                ? $"validation Dice {v.Dice:F4}, mean patient Dice {v.MeanGroupDice:F4}, pixel accuracy {v.PixelAccuracy:F4}, average weight bits {report.Bits.AverageWeightBits:F2}; wrote {folder}"
                : $"average weight bits {report.Bits.AverageWeightBits:F2}; wrote {folder}");
            return 0;
        }, () => TrainingCheckpoint.ExistsIn(folder)
            ? $"interrupted; the last finished epoch is kept in {TrainingCheckpoint.PathIn(folder)}: continue with quantunet train --resume {folder}"
            : $"interrupted before the first checkpoint; there is nothing to resume in {folder}, so start the run again."));
        return command;
    }

    /// <summary>Runs <paramref name="work"/>, adding to a damaged checkpoint's message how to get the run folder going again.</summary>
    private static T ExplainDamagedCheckpoint<T>(string folder, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (InvalidDataException e) when (e.Message.StartsWith(TrainingCheckpoint.PathIn(folder), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{e.Message.TrimEnd('.')}; it blocks this run folder: delete it to train from the start (its finished epochs are lost), or train into another folder.", e);
        }
    }

    /// <summary>
    /// The run whose --out folder <paramref name="folder"/> is, as its checkpoint keeps it: the command's settings and the
    /// architecture, training options and schedule it began with, so that a run begun by an older build, whose defaults
    /// differed, continues with its own.
    /// </summary>
    private static TrainRun ResumedRun(string folder)
    {
        if (!TrainingCheckpoint.ExistsIn(folder))
            throw new ArgumentException($"--resume {folder}: there is no {TrainingCheckpoint.FileName} in it, so it is not the --out folder of a train run.");
        var checkpoint = TrainingCheckpoint.LoadFrom(folder);
        var stored = checkpoint.CallerSettings?.Deserialize<TrainCommandOptions>()
            ?? throw new ArgumentException($"{TrainingCheckpoint.PathIn(folder)} holds no quantunet train settings.");
        var settings = stored with { OutDirectory = folder };
        var (architecture, options) = ResumedSetup(checkpoint, settings, settings.Quantize);
        return new TrainRun(settings, architecture, options, checkpoint.Schedule);
    }

    /// <summary>
    /// What a run resumed from <paramref name="checkpoint"/> trains with: the architecture and training options it began
    /// with, whatever today's defaults, checkpointing into <paramref name="settings"/>' --out folder again and writing every
    /// epoch's model there if they say so (where those go does not change the run, so the checkpoint does not keep it).
    /// </summary>
    public static (ArchitectureOptions Architecture, TrainingOptions Options) ResumedSetup(TrainingCheckpoint checkpoint, TrainCommandOptions settings, bool quantize) =>
        (checkpoint.Architecture with { Quantize = quantize },
         checkpoint.Options with { CheckpointDirectory = settings.OutDirectory, EpochModelDirectory = EpochModelDirectoryOf(settings) });

    /// <summary>The network <paramref name="settings"/> describe (channels, base width), quantized or float.</summary>
    public static ArchitectureOptions ArchitectureOf(TrainCommandOptions settings, bool quantize) =>
        new() { InputChannels = settings.Channels, BaseWidth = settings.Width, Quantize = quantize };

    /// <summary>What a <c>train</c> run trains: the command's settings and what the library is given for them.</summary>
    private sealed record TrainRun(TrainCommandOptions Settings, ArchitectureOptions Architecture, TrainingOptions Options, WarmStartSchedule Schedule)
    {
        /// <summary>A new run of <paramref name="settings"/>, with today's defaults for everything the command line does not set.</summary>
        public static TrainRun Of(TrainCommandOptions settings) => new(
            settings,
            ArchitectureOf(settings, settings.Quantize),
            TrainingOptionsOf(settings),
            settings.Quantize ? WarmStartSchedule.Split(settings.Epochs, settings.FloatEpochs) : WarmStartSchedule.FloatOnly(settings.Epochs));
    }

    /// <summary>The library's training options for <paramref name="settings"/>, checkpointing into its --out folder.</summary>
    public static TrainingOptions TrainingOptionsOf(TrainCommandOptions settings)
    {
        var options = new TrainingOptions
        {
            Epochs = settings.Epochs, BatchSize = settings.Batch, Seed = settings.Seed, Threads = settings.Threads, CheckpointDirectory = settings.OutDirectory,
            TargetBits = settings.TargetBits, EpochModelDirectory = EpochModelDirectoryOf(settings),
        };
        return settings.Recipe?.ApplyTo(options) ?? options;
    }

    /// <summary>The folder of a run's <c>--save-epochs</c> models, inside its --out folder.</summary>
    public const string EpochModelsFolder = "epochs";

    /// <summary>Where <paramref name="settings"/>' run writes every epoch's model: null unless <c>--save-epochs</c>.</summary>
    private static string? EpochModelDirectoryOf(TrainCommandOptions settings) =>
        settings.SaveEpochs ? Path.Combine(settings.OutDirectory, EpochModelsFolder) : null;

    /// <summary>Reads the slices and splits them by patient, warning about training data that cannot teach a model and saying what it read.</summary>
    /// <param name="strict">Whether the reader's data warnings are errors (--strict).</param>
    public static (IReadOnlyList<SegmentationSample> Training, IReadOnlyList<SegmentationSample> Validation, TrainReport.SplitFacts Split) LoadSplit(TrainCommandOptions settings, bool strict = false)
    {
        var samples = settings.Data.Load(ImageSize.Square(settings.Size), settings.Channels, strict);
        var (training, validation) = DatasetSplit.ByGroup(samples, settings.ValidationFraction, settings.Seed);
        var split = TrainReport.SplitFacts.From(training, validation);
        foreach (var warning in DatasetWarnings.Check(training, $"{settings.Data.Path} (training slices)"))
            Console.Error.WriteLine($"quantunet: warning: {warning}");
        Console.WriteLine($"data: {training.Count} training slices of {split.TrainingPatients.Count} patients, {validation.Count} validation slices of {split.ValidationPatients.Count} "
                          + $"({DatasetSource.EmptyMasks(samples)}), {settings.Size}x{settings.Size}, {settings.Channels} channel{(settings.Channels == 1 ? "" : "s")}");
        return (training, validation, split);
    }

    private static TrainReport Run(TrainRun run, bool strict, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var (settings, architecture, options, schedule) = run;
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        int? warmStartEpoch = settings.Quantize ? schedule.WarmStartEpoch : null;

        var (training, validation, split) = LoadSplit(settings, strict);

        var records = new List<TrainReport.EpochFacts>();
        int stepsPerEpoch = (training.Count + settings.Batch - 1) / settings.Batch;
        int keptEpoch = 0;
        var model = ConsoleProgress.Run("training", "steps", (double)settings.Epochs * stepsPerEpoch, progress =>
        {
            void EpochEnded(string name, EpochRecord record)
            {
                records.Add(TrainReport.EpochFacts.From(name, record));
                progress.Log(WarmStartTraining.Describe(name, record));
            }
            void Step(TrainingProgress _) => progress.Advance(1);
            // The checkpoint is in the run's folder, so its settings leave the folder out: a run folder may move.
            var result = WarmStartTraining.Train(architecture, training, validation, options, schedule, EpochEnded, progress.Log, Step,
                JsonSerializer.SerializeToElement(settings with { OutDirectory = "" }), cancellation);
            // Only the warm start is wanted from the float model of a QuantU-Net run: it stops where QuantU-Net takes over.
            if (result.Quantized is not null) result.Float?.Model.Dispose();
            keptEpoch = result.Final.BestEpoch;
            progress.Log($"kept epoch {keptEpoch} of the {(result.Quantized is null ? "float" : "quantization-aware")} phase");
            return result.Final.Model;
        });

        using (model)
        {
            var size = ImageSize.Square(settings.Size);
            var record = new TrainingRecord { Seed = settings.Seed };
            var package = ModelFile.Package(model, size, record, problem => Console.Error.WriteLine($"quantunet: warning: {problem}"));
            // Validation is scored as `quantunet evaluate` scores the saved model; the figures go into its training record.
            var scores = validation.Count > 0 ? TrainReport.ValidationScores.From(PackageScores.Of(package, validation)) : null;
            if (scores is not null) package = package.WithTraining(record with { Metrics = scores.AsMetrics() });
            ModelZip.Save(package, Path.Combine(settings.OutDirectory, ModelZip.FileName));

            var report = new TrainReport
            {
                Data = settings.Data, Quantized = model.Quantize, ImageSize = settings.Size, BaseWidth = settings.Width, Channels = settings.Channels,
                TargetBits = settings.TargetBits, Recipe = TrainingRecipe.Of(options), Epochs = settings.Epochs, WarmStartEpoch = warmStartEpoch, KeptEpoch = keptEpoch, BatchSize = settings.Batch, Seed = settings.Seed,
                ValidationFraction = settings.ValidationFraction, Split = split, EpochRecords = records, Validation = scores,
                Bits = TrainReport.BitFacts.From(model), Seconds = clock.Elapsed.TotalSeconds,
            };
            JsonReport.Write(settings.OutDirectory, "train.json", report);
            return report;
        }
    }
}
