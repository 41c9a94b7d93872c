using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Serialization;
using QuantUNet.Data;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Commands;

/// <summary><c>quantunet evaluate</c>: scores every image of a dataset folder with a trained model and writes metrics.json.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = TrainedModel.ModelOption();
        var dataset = new DatasetSource.Options();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for metrics.json.", Required = true };
        var mode = TrainedModel.ModeOption();
        var size = TrainedModel.SizeOption("images and masks");
        var threads = DatasetOptions.Threads();
        var strict = DatasetOptions.Strict();
        var command = new Command("evaluate", "Score every slice of an image folder or a NIfTI volume with a trained model; write metrics.json (Dice, mean per-image and per-patient Dice, IoU, pixel accuracy, precision, recall, HD95).")
        {
            model, output, mode, size, threads, strict,
        };
        dataset.AddTo(command);
        command.SetAction(parse => UserErrors.Run(cancellation =>
        {
            var data = dataset.Read(parse);
            int requestedSize = DatasetOptions.CheckScoringSize(parse.GetValue(size)), requestedThreads = DatasetOptions.CheckThreads(parse.GetValue(threads));
            var folder = parse.GetValue(output)!.FullName;
            using var runLock = RunFolderLock.Acquire(folder, "--out");
            var metrics = Run(parse.GetValue(model)!.FullName, data, parse.GetValue(mode), requestedSize, requestedThreads, parse.GetValue(strict), cancellation);
            var path = JsonReport.Write(folder, "metrics.json", metrics);
            Console.WriteLine($"{metrics.Mode}: Dice {metrics.Dice:F4}, mean patient Dice {metrics.MeanGroupDice:F4}, IoU {metrics.IoU:F4}, " +
                              $"pixel accuracy {metrics.PixelAccuracy:F4} on {metrics.Images} images of {metrics.Groups} patients; wrote {path}");
            return 0;
        }, () => "interrupted; metrics.json was not written."));
        return command;
    }

    public sealed record Metrics(
        string Mode, string Model, string Data, int ImageSize, double Dice, double MeanDice, double MeanGroupDice,
        [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy, double Precision, double Recall, double Specificity,
        double Hd95, int Hd95Images, int Images, int Groups, int EmptyTruthImages, double Seconds);

    private static Metrics Run(string modelPath, DatasetSource data, ScoringMode? requestedMode, int size, int threads, bool strict, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var model = TrainedModel.Load(modelPath);
        var mode = model.ModeOrDefault(requestedMode);
        threads = TrainedModel.UseThreads(threads);
        int side = model.Side(size);

        var samples = data.Load(ImageSize.Square(side), model.InputChannels, strict);
        Console.WriteLine($"data: {samples.Count} slices ({DatasetSource.EmptyMasks(samples)}), {side}x{side}");
        var s = ConsoleProgress.Run($"scoring ({TrainedModel.Name(mode)})", "images", samples.Count, progress =>
        {
            using var scorer = model.Scorer(mode, side, threads);
            return scorer.Evaluate(samples, scored: count =>
            {
                cancellation.ThrowIfCancellationRequested();
                progress.Advance(count);
            });
        });

        return new Metrics(TrainedModel.Name(mode), model.Path, data.Path, side, s.Dice, s.MeanDice, s.MeanGroupDice, s.IoU, s.PixelAccuracy,
            s.Precision, s.Recall, s.Specificity, s.Hd95, s.Hd95ImageCount, s.ImageCount, s.GroupCount, s.EmptyTruthCount, clock.Elapsed.TotalSeconds);
    }
}
