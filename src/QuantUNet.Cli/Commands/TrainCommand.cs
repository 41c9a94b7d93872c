using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet train</c>: a float U-Net or QuantU-Net on a folder of images and masks, split by patient.</summary>
internal static class TrainCommand
{
    public const string ModelFileName = "model.qunet";
    public const string IntegerFileName = IntegerModelFile.RunFolderFileName;

    /// <summary>The metadata key of the side the model was trained at, so evaluate resizes the same way.</summary>
    public const string ImageSizeMetric = QuantUNet.Integer.IntegerModelMetadata.ImageSizeMetric;

    public static Command Create()
    {
        var flags = new TrainFlags();
        var output = new Option<DirectoryInfo>("--out") { Description = $"Folder for {ModelFileName}, {IntegerFileName} (quantized models), the ML.NET model {ModelZip.FileName} and train.json; it also holds the training checkpoint (required unless --resume)." };
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
        var command = new Command("train", "Train QuantU-Net (float warm start, then quantization-aware training with learned bitwidths) or the float U-Net on an image folder or a NIfTI volume; write the model, the integer model and train.json.")
        {
            output, floatOnly, targetBits, resume,
        };
        flags.AddTo(command);
        flags.Dataset.Data.Required = false; // not with --resume; checked below otherwise
        TrainSettings NewSettings(ParseResult parse)
        {
            bool quantize = !parse.GetValue(floatOnly);
            double? budget = parse.GetValue(targetBits) is { } bits ? TrainFlags.CheckTargetBits(bits, $"{targetBits.Name} {bits.ToString(CultureInfo.InvariantCulture)}") : null;
            if (budget is not null && !quantize)
                throw new ArgumentException("--target-bits is a bit budget for QuantU-Net; the float U-Net (--float) has no bitwidths to budget.");
            return flags.Read(parse, parse.GetValue(output)!.FullName, quantize, budget);
        }

        command.SetAction(parse => UserErrors.Run(() =>
        {
            var runFolder = parse.GetValue(resume);
            var given = command.Options.Where(option => option != resume && parse.GetResult(option) is { Implicit: false }).Select(option => option.Name).ToList();
            if (runFolder is not null && given.Count > 0)
                throw new ArgumentException($"--resume takes every setting from the run's checkpoint; drop {string.Join(", ", given)}.");
            if (runFolder is null && (parse.GetValue(flags.Dataset.Data) is null || parse.GetValue(output) is null))
                throw new ArgumentException("train needs --data and --out, or --resume DIR to continue a run.");
            var settings = runFolder is not null ? ResumedSettings(runFolder.FullName) : NewSettings(parse);
            var report = Run(settings);
            Console.WriteLine(report.Validation is { } v
                ? $"validation Dice {v.Dice:F4}, mean patient Dice {v.MeanGroupDice:F4}, pixel accuracy {v.PixelAccuracy:F4}, average weight bits {report.Bits.AverageWeightBits:F2}; wrote {settings.OutDirectory}"
                : $"average weight bits {report.Bits.AverageWeightBits:F2}; wrote {settings.OutDirectory}");
            return 0;
        }));
        return command;
    }

    /// <summary>The settings of the run whose --out folder <paramref name="folder"/> is, as its checkpoint keeps them.</summary>
    private static TrainSettings ResumedSettings(string folder)
    {
        if (!TrainingCheckpoint.ExistsIn(folder))
            throw new ArgumentException($"--resume {folder}: there is no {TrainingCheckpoint.FileName} in it, so it is not the --out folder of a train run.");
        var stored = TrainingCheckpoint.LoadFrom(folder).CallerSettings?.Deserialize<TrainSettings>()
            ?? throw new ArgumentException($"{TrainingCheckpoint.PathIn(folder)} holds no quantunet train settings.");
        return stored with { OutDirectory = folder };
    }

    /// <summary>The library's training options for <paramref name="settings"/>, checkpointing into its --out folder.</summary>
    public static TrainingOptions TrainingOptionsOf(TrainSettings settings) => new()
    {
        Epochs = settings.Epochs, BatchSize = settings.Batch, Seed = settings.Seed, Threads = settings.Threads, CheckpointDirectory = settings.OutDirectory,
        TargetBits = settings.TargetBits,
    };

    /// <summary>Reads the slices and splits them by patient, warning about training data that cannot teach a model and saying what it read.</summary>
    public static (IReadOnlyList<SegmentationSample> Training, IReadOnlyList<SegmentationSample> Validation, TrainReport.SplitFacts Split) LoadSplit(TrainSettings settings)
    {
        var samples = settings.Data.Load(ImageSize.Square(settings.Size), settings.Channels);
        var (training, validation) = DatasetSplit.ByGroup(samples, settings.ValidationFraction, settings.Seed);
        var split = TrainReport.SplitFacts.From(training, validation);
        foreach (var warning in DatasetWarnings.Check(training, $"{settings.Data.Path} (training slices)"))
            Console.Error.WriteLine($"quantunet: warning: {warning}");
        Console.WriteLine($"data: {training.Count} training slices of {split.TrainingPatients.Count} patients, {validation.Count} validation slices of {split.ValidationPatients.Count}, "
                          + $"{settings.Size}x{settings.Size}, {settings.Channels} channel{(settings.Channels == 1 ? "" : "s")}");
        return (training, validation, split);
    }

    private static TrainReport Run(TrainSettings settings)
    {
        var clock = Stopwatch.StartNew();
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        var architecture = new QuantUNetOptions { InputChannels = settings.Channels, BaseWidth = settings.Width, Quantize = settings.Quantize };
        var options = TrainingOptionsOf(settings);
        var schedule = settings.Quantize ? WarmStartSchedule.Split(settings.Epochs, settings.FloatEpochs) : WarmStartSchedule.FloatOnly(settings.Epochs);
        int? warmStartEpoch = settings.Quantize ? schedule.WarmStartEpoch : null;

        var (training, validation, split) = LoadSplit(settings);

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
            var run = WarmStartTraining.Train(architecture, training, validation, options, schedule, EpochEnded, progress.Log, Step,
                JsonSerializer.SerializeToElement(settings with { OutDirectory = "" }));
            // Only the warm start is wanted from the float model of a QuantU-Net run: it stops where QuantU-Net takes over.
            if (run.Quantized is not null) run.Float?.Model.Dispose();
            keptEpoch = run.Final.BestEpoch;
            progress.Log($"kept epoch {keptEpoch} of the {(run.Quantized is null ? "float" : "quantization-aware")} phase");
            return run.Final.Model;
        });

        using (model)
        {
            var scores = validation.Count > 0 ? TrainReport.ValidationScores.From(ModelScoring.Evaluate(model, validation, settings.Batch)) : null;
            var metrics = new Dictionary<string, double>(scores?.AsMetrics() ?? new Dictionary<string, double>()) { [ImageSizeMetric] = settings.Size };
            var metadata = new ModelMetadata { Seed = settings.Seed, Metrics = metrics };
            Directory.CreateDirectory(settings.OutDirectory);
            ModelFile.Save(model, Path.Combine(settings.OutDirectory, ModelFileName), metadata);
            if (model.Quantize)
                IntegerModelFile.Save(IntegerExporter.Export(model, metadata, ModelFileName, ImageSize.Square(settings.Size)), Path.Combine(settings.OutDirectory, IntegerFileName));
            ModelZip.Save(Path.Combine(settings.OutDirectory, ModelFileName), model.Quantize, settings.Size, Path.Combine(settings.OutDirectory, ModelZip.FileName));

            var report = new TrainReport
            {
                Data = settings.Data, Quantized = model.Quantize, ImageSize = settings.Size, BaseWidth = settings.Width, Channels = settings.Channels,
                TargetBits = settings.TargetBits, Epochs = settings.Epochs, WarmStartEpoch = warmStartEpoch, KeptEpoch = keptEpoch, BatchSize = settings.Batch, Seed = settings.Seed,
                ValidationFraction = settings.ValidationFraction, Split = split, EpochRecords = records, Validation = scores,
                Bits = TrainReport.BitFacts.From(model.Bitwidths()), Seconds = clock.Elapsed.TotalSeconds,
            };
            JsonReport.Write(settings.OutDirectory, "train.json", report);
            return report;
        }
    }
}
