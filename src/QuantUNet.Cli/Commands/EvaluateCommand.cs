using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Serialization;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet evaluate</c>: scores every image of a dataset folder with a trained model and writes metrics.json.</summary>
internal static class EvaluateCommand
{
    /// <summary>How the images are scored.</summary>
    public enum ScoringMode
    {
        /// <summary>The integer engine on the exported model (quantized models only).</summary>
        Integer,

        /// <summary>TorchSharp with the quantizers on, as trained (quantized models only).</summary>
        FakeQuant,

        /// <summary>TorchSharp with quantization off: the float baseline, or a QuantU-Net's weights unquantized.</summary>
        Float,
    }

    private const int TorchBatch = 8;

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = $"A model file (.qunet) or the folder train wrote (its {TrainCommand.ModelFileName} is used).", Required = true };
        var data = DatasetOptions.Data("Dataset folder, in any layout train reads; each subfolder is a patient.");
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for metrics.json.", Required = true };
        var mode = new Option<ScoringMode?>("--mode") { Description = "integer, fakequant or float (default: integer for QuantU-Net, float for the float baseline)." };
        var size = new Option<int>("--size") { Description = "Resize images and masks to this side (0: the side the model was trained at).", DefaultValueFactory = _ => 0 };
        var threads = DatasetOptions.Threads();
        var command = new Command("evaluate", "Score every image of a dataset folder with a trained model; write metrics.json (Dice, mean per-image and per-patient Dice, IoU, pixel accuracy, precision, recall, HD95).")
        {
            model, data, output, mode, size, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var metrics = Run(parse.GetValue(model)!.FullName, parse.GetValue(data)!.FullName, parse.GetValue(mode), parse.GetValue(size), parse.GetValue(threads));
            var path = JsonReport.Write(Directory.CreateDirectory(parse.GetValue(output)!.FullName).FullName, "metrics.json", metrics);
            Console.WriteLine($"{metrics.Mode}: Dice {metrics.Dice:F4}, mean patient Dice {metrics.MeanGroupDice:F4}, IoU {metrics.IoU:F4}, " +
                              $"pixel accuracy {metrics.PixelAccuracy:F4} on {metrics.Images} images of {metrics.Groups} patients; wrote {path}");
            return 0;
        }));
        return command;
    }

    public sealed record Metrics(
        string Mode, string Model, string Data, int ImageSize, double Dice, double MeanDice, double MeanGroupDice,
        [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy, double Precision, double Recall, double Specificity,
        double Hd95, int Hd95Images, int Images, int Groups, int EmptyTruthImages, double Seconds);

    private static Metrics Run(string modelPath, string dataFolder, ScoringMode? requestedMode, int size, int threads)
    {
        var clock = Stopwatch.StartNew();
        if (Directory.Exists(modelPath)) modelPath = Path.Combine(modelPath, TrainCommand.ModelFileName);
        var (model, metadata) = ModelFile.Load(modelPath);
        using var _ = model;
        var mode = requestedMode ?? (model.Quantize ? ScoringMode.Integer : ScoringMode.Float);
        if (mode != ScoringMode.Float && !model.Quantize)
            throw new ArgumentException($"--mode {mode.ToString().ToLowerInvariant()}: {modelPath} is a float baseline; only --mode float scores it.");
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        set_num_threads(threads);
        int side = DatasetOptions.CheckSize(size > 0 ? size : (int)metadata.Metrics.GetValueOrDefault(TrainCommand.ImageSizeMetric, 128));

        var samples = ImageFolderDataset.Load(dataFolder, new ImageFolderDataset.Options { Size = ImageSize.Square(side), Channels = model.Options.InputChannels });
        var evaluator = new SegmentationEvaluator();
        ConsoleProgress.Run($"scoring ({mode.ToString().ToLowerInvariant()})", "images", samples.Count, progress =>
        {
            // Float mode on a QuantU-Net runs its weights in a twin with quantization off.
            using var floatTwin = mode == ScoringMode.Float && model.Quantize ? SegmentationTrainer.FloatTwin(model) : null;
            var predict = mode == ScoringMode.Integer ? IntegerPredictor(model, metadata, modelPath, threads) : TorchPredictor(floatTwin ?? model);
            foreach (var batch in samples.Chunk(TorchBatch))
            {
                var masks = predict(batch);
                for (int i = 0; i < batch.Length; i++)
                    evaluator.Add(masks.AsSpan(i * side * side, side * side), batch[i].Mask, side, side, batch[i].GroupId, batch[i].Name);
                progress.Advance(batch.Length);
            }
            return 0;
        });

        var s = evaluator.GetScores();
        return new Metrics(mode.ToString().ToLowerInvariant(), modelPath, dataFolder, side, s.Dice, s.MeanDice, s.MeanGroupDice, s.IoU, s.PixelAccuracy,
            s.Precision, s.Recall, s.Specificity, s.Hd95, s.Hd95ImageCount, s.ImageCount, s.GroupCount, s.EmptyTruthCount, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The integer engine on the integer file train wrote beside its model.qunet (what would be deployed),
    /// else on the model exported now. Images are quantized from their float pixels, as the trained model does.
    /// </summary>
    private static Func<SegmentationSample[], byte[]> IntegerPredictor(QuantUNetModel model, ModelMetadata metadata, string modelPath, int threads)
    {
        var integerPath = Path.Combine(Path.GetDirectoryName(modelPath)!, TrainCommand.IntegerFileName);
        bool trainWroteIt = Path.GetFileName(modelPath) == TrainCommand.ModelFileName && File.Exists(integerPath);
        var exported = trainWroteIt ? IntegerModelFile.Load(integerPath) : IntegerExporter.Export(model, metadata, Path.GetFileName(modelPath));
        var engine = new IntegerEngine(exported, new IntegerEngineOptions { Threads = threads });
        return batch =>
        {
            var masks = new byte[batch.Length * batch[0].Height * batch[0].Width];
            engine.PredictBatch(batch.SelectMany(s => s.Image).ToArray(), batch.Length, batch[0].Height, batch[0].Width, masks);
            return masks;
        };
    }

    private static Func<SegmentationSample[], byte[]> TorchPredictor(QuantUNetModel scorer) => batch =>
    {
        using var scope = NewDisposeScope();
        var (images, _) = SampleTensors.Stack(batch);
        return (ModelScoring.Logits(scorer, images, TorchBatch) > 0).to(ScalarType.Byte).data<byte>().ToArray();
    };
}
