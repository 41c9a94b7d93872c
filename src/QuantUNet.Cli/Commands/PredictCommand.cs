using System.CommandLine;
using System.Diagnostics;
using QuantUNet.Cli.Report;
using QuantUNet.Data;
using SkiaSharp;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// <c>quantunet predict</c>: masks and overlays of image files, at each image's own size. Streams: a batch of images
/// is read, scored and written before the next is read, so memory stays flat however many images there are.
/// </summary>
internal static class PredictCommand
{
    public const string MaskSuffix = PredictedMask.FileSuffix, OverlaySuffix = "_overlay.png";

    private static readonly SKColor OverlayColour = new(235, 50, 50);

    public static Command Create()
    {
        var model = TrainedModel.ModelOption();
        var input = new Option<FileSystemInfo>("--input")
        {
            Description = $"An image file, or a folder searched recursively for {string.Join(", ", ImageFolderDataset.Extensions)} files (files named *{ImageFolderDataset.MaskSuffix}.* are skipped).",
            Required = true,
            CustomParser = result => Directory.Exists(result.Tokens[0].Value) ? new DirectoryInfo(result.Tokens[0].Value) : new FileInfo(result.Tokens[0].Value),
        };
        var output = new Option<DirectoryInfo>("--out") { Description = $"Folder for NAME{MaskSuffix} (0/255) and NAME{OverlaySuffix}, mirroring the input folder's subfolders.", Required = true };
        var mode = TrainedModel.ModeOption();
        var size = TrainedModel.SizeOption("images for the model (masks come back at each image's own size)");
        var threads = DatasetOptions.Threads();
        var command = new Command("predict", "Segment image files with a trained model: write a 0/255 mask PNG and an overlay PNG per image, at the image's own size.")
        {
            model, input, output, mode, size, threads,
        };
        command.SetAction(parse => UserErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var (images, modeName) = Run(parse.GetValue(model)!.FullName, parse.GetValue(input)!.FullName, parse.GetValue(output)!.FullName,
                parse.GetValue(mode), parse.GetValue(size), parse.GetValue(threads));
            Console.WriteLine($"{modeName}: wrote masks and overlays of {images} images to {parse.GetValue(output)!.FullName} ({images / clock.Elapsed.TotalSeconds:F1} images/s)");
            return 0;
        }));
        return command;
    }

    /// <returns>The number of images and the scoring mode's name.</returns>
    private static (int Images, string Mode) Run(string modelPath, string input, string outDirectory, TrainedModel.ScoringMode? requestedMode, int size, int threads)
    {
        var files = PredictInputs.Find(input, outDirectory);
        using var model = TrainedModel.Load(modelPath);
        var mode = model.ModeOrDefault(requestedMode);
        threads = TrainedModel.UseThreads(threads);
        int side = model.Side(size), channels = model.InputChannels;
        string root = PredictInputs.Root(input);
        return ConsoleProgress.Run($"predicting ({TrainedModel.Name(mode)})", "images", files.Count, progress =>
        {
            using var scorer = model.Scorer(mode, threads);
            foreach (var batch in files.Chunk(MaskScorer.Batch))
            {
                var pixels = batch.SelectMany(file => ImageFile.ReadImage(file, channels, ImageSize.Square(side)).Pixels).ToArray();
                var masks = scorer.Masks(pixels, batch.Length, side, side);
                for (int i = 0; i < batch.Length; i++)
                    Write(batch[i], masks.AsSpan(i * side * side, side * side), side, outDirectory, Path.GetRelativePath(root, batch[i]));
                progress.Advance(batch.Length);
            }
            return (files.Count, TrainedModel.Name(mode));
        });
    }

    /// <summary>The mask, scaled back to the image's own size by nearest neighbour, and the overlay on the image's RGB pixels.</summary>
    private static void Write(string file, ReadOnlySpan<byte> mask, int side, string outDirectory, string relativePath)
    {
        var original = ImageFile.ReadImage(file, channels: 3);
        var fullSize = PredictedMask.Write(PredictedMask.PathFor(outDirectory, relativePath), mask, side, original.Height, original.Width);
        using var overlay = MaskOverlay.Render(original, fullSize, OverlayColour);
        PngFile.Write(PredictedMask.PathFor(outDirectory, relativePath, OverlaySuffix), overlay);
    }
}
