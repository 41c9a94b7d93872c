using System.CommandLine;
using System.Diagnostics;
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
    public const string IntegerFileName = "model" + IntegerModelFile.Extension;

    /// <summary>The metadata key of the side the model was trained at, so evaluate resizes the same way.</summary>
    public const string ImageSizeMetric = "imageSize";

    public static Command Create()
    {
        var data = DatasetOptions.Data("Dataset folder: images/ + masks/, or the LGG layout <patient>/<patient>_N.tif + _N_mask.tif. Each subfolder is a patient.");
        var output = new Option<DirectoryInfo>("--out") { Description = $"Folder for {ModelFileName}, {IntegerFileName} (quantized models) and train.json.", Required = true };
        var floatOnly = new Option<bool>("--float") { Description = "Train the float U-Net baseline instead of QuantU-Net." };
        var size = new Option<int>("--size") { Description = "Images and masks are resized to this side (a multiple of 16).", DefaultValueFactory = _ => 128 };
        var width = new Option<int>("--width") { Description = "U-Net base width: channels of the first level, doubled at each level below.", DefaultValueFactory = _ => 16 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs in all (for QuantU-Net the float warm start included).", DefaultValueFactory = _ => 20 };
        var floatEpochs = new Option<int?>("--float-epochs") { Description = $"Float warm-start epochs before quantization-aware training (default: {WarmStartRecipe.WarmStartFraction:P0} of --epochs)." };
        var batch = new Option<int>("--batch") { Description = "Images per training step.", DefaultValueFactory = _ => 8 };
        var validationFraction = new Option<double>("--val-fraction") { Description = "Share of the patients held out for validation (0: none).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seeds the split, initialisation and shuffling.", DefaultValueFactory = _ => 1 };
        var channels = new Option<int>("--channels") { Description = "Input channels: 1 (grey) or 3 (RGB, e.g. the LGG slices).", DefaultValueFactory = _ => 1 };
        var threads = DatasetOptions.Threads();
        var command = new Command("train", "Train QuantU-Net (float warm start, then quantization-aware training with learned bitwidths) or the float U-Net on a dataset folder; write the model, the integer model and train.json.")
        {
            data, output, floatOnly, size, width, epochs, floatEpochs, batch, validationFraction, seed, channels, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var settings = new TrainSettings(
                parse.GetValue(data)!.FullName, parse.GetValue(output)!.FullName, !parse.GetValue(floatOnly), DatasetOptions.CheckSize(parse.GetValue(size)),
                parse.GetValue(width), parse.GetValue(epochs), parse.GetValue(floatEpochs), parse.GetValue(batch), parse.GetValue(validationFraction),
                parse.GetValue(seed), parse.GetValue(channels), parse.GetValue(threads));
            var report = Run(settings);
            Console.WriteLine(report.Validation is { } v
                ? $"validation Dice {v.Dice:F4}, mean patient Dice {v.MeanGroupDice:F4}, pixel accuracy {v.PixelAccuracy:F4}, average weight bits {report.Bits.AverageWeightBits:F2}; wrote {settings.OutDirectory}"
                : $"average weight bits {report.Bits.AverageWeightBits:F2}; wrote {settings.OutDirectory}");
            return 0;
        }));
        return command;
    }

    private sealed record TrainSettings(
        string Data, string OutDirectory, bool Quantize, int Size, int Width, int Epochs, int? FloatEpochs, int Batch,
        double ValidationFraction, int Seed, int Channels, int Threads);

    private static TrainReport Run(TrainSettings settings)
    {
        var clock = Stopwatch.StartNew();
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        var architecture = new QuantUNetOptions { InputChannels = settings.Channels, BaseWidth = settings.Width, Quantize = settings.Quantize };
        var options = new TrainingOptions { Epochs = settings.Epochs, BatchSize = settings.Batch, Seed = settings.Seed, Threads = settings.Threads };
        int? warmStartEpoch = settings.Quantize ? settings.FloatEpochs ?? WarmStartRecipe.WarmStartEpoch(settings.Epochs) : null;

        var samples = ImageFolderDataset.Load(settings.Data, new ImageFolderDataset.Options { Size = ImageSize.Square(settings.Size), Channels = settings.Channels });
        var (training, validation) = DatasetSplit.ByGroup(samples, settings.ValidationFraction, settings.Seed);
        var split = TrainReport.SplitFacts.From(training, validation);
        Console.WriteLine($"data: {training.Count} training slices of {split.TrainingPatients.Count} patients, {validation.Count} validation slices of {split.ValidationPatients.Count}, {settings.Size}x{settings.Size}");

        var records = new List<TrainReport.EpochFacts>();
        int stepsPerEpoch = (training.Count + settings.Batch - 1) / settings.Batch;
        var model = ConsoleProgress.Run("training", "steps", (double)settings.Epochs * stepsPerEpoch, progress =>
        {
            void EpochEnded(string name, EpochRecord record)
            {
                records.Add(TrainReport.EpochFacts.From(name, record));
                progress.Log(WarmStartRecipe.Describe(name, record));
            }
            void Step(TrainingProgress _) => progress.Advance(1);
            if (warmStartEpoch is not { } warmStart)
                return SegmentationTrainer.Train(SegmentationTrainer.CreateModel(architecture, settings.Seed), training, validation, options, Step,
                    record => EpochEnded("float", record)).Model;
            // Only the warm start is wanted from the float model: it stops where QuantU-Net takes over.
            var result = WarmStartRecipe.Train(architecture, training, validation, options, warmStart, floatEpochs: warmStart, EpochEnded, progress.Log, Step);
            result.FloatModel.Dispose();
            return result.QuantizedModel;
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

            var report = new TrainReport
            {
                Data = settings.Data, Quantized = model.Quantize, ImageSize = settings.Size, BaseWidth = settings.Width, Channels = settings.Channels,
                Epochs = settings.Epochs, WarmStartEpoch = warmStartEpoch, BatchSize = settings.Batch, Seed = settings.Seed,
                ValidationFraction = settings.ValidationFraction, Split = split, EpochRecords = records, Validation = scores,
                Bits = TrainReport.BitFacts.From(model.Bitwidths()), Seconds = clock.Elapsed.TotalSeconds,
            };
            JsonReport.Write(settings.OutDirectory, "train.json", report);
            return report;
        }
    }
}
