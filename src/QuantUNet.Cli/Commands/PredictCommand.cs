using System.CommandLine;
using System.Diagnostics;
using QuantUNet.Cli.Report;
using QuantUNet.Data;
using QuantUNet.MLNet;
using SkiaSharp;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// <c>quantunet predict</c>: masks and overlays of image files, at each image's own size. Streams: a batch of images
/// is read, scored and written before the next is read, so memory stays flat however many images there are.
/// </summary>
internal static class PredictCommand
{
    public const string MaskSuffix = InputImages.MaskSuffix + InputImages.OutputExtension, OverlaySuffix = InputImages.OverlaySuffix + InputImages.OutputExtension;

    private static readonly SKColor OverlayColour = new(235, 50, 50);

    public static Command Create()
    {
        var model = TrainedModel.ModelOption();
        var input = new Option<FileSystemInfo>("--input")
        {
            Description = $"An image file, or a folder searched recursively for {string.Join(", ", InputImages.Extensions)} files "
                          + $"(hidden files, masks *{InputImages.MaskSuffix}.* and earlier overlays *{InputImages.OverlaySuffix}.* are skipped; links are followed, each real folder listed once).",
            Required = true,
            CustomParser = result => Directory.Exists(result.Tokens[0].Value) ? new DirectoryInfo(result.Tokens[0].Value) : new FileInfo(result.Tokens[0].Value),
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = $"Folder for NAME{MaskSuffix} (0/255) and NAME{OverlaySuffix}, mirroring the input folder's subfolders (not the --input folder itself).", Required = true,
        };
        var mode = TrainedModel.ModeOption();
        var size = TrainedModel.SizeOption("images for the model (masks come back at each image's own size)");
        var threads = DatasetOptions.Threads();
        var command = new Command("predict", "Segment image files with a trained model: write a 0/255 mask PNG and an overlay PNG per image, at the image's own size.")
        {
            model, input, output, mode, size, threads,
        };
        int written = 0;
        command.SetAction(parse => UserErrors.Run(cancellation =>
        {
            var clock = Stopwatch.StartNew();
            string inputPath = parse.GetValue(input)!.FullName, outDirectory = parse.GetValue(output)!.FullName;
            int requestedSize = DatasetOptions.CheckScoringSize(parse.GetValue(size)), requestedThreads = DatasetOptions.CheckThreads(parse.GetValue(threads));
            var (files, root) = Inputs(inputPath, outDirectory);
            using var runLock = RunFolderLock.Acquire(outDirectory, "--out");
            var modeName = Run(parse.GetValue(model)!.FullName, files, root, outDirectory, parse.GetValue(mode), requestedSize, requestedThreads, cancellation, () => written++);
            Console.WriteLine($"{modeName}: wrote masks and overlays of {files.Count} images to {outDirectory} ({files.Count / clock.Elapsed.TotalSeconds:F1} images/s)");
            return 0;
        }, () => $"interrupted after {written} images; each mask and overlay written is whole, and none is half-written."));
        return command;
    }

    /// <returns>The scoring mode's name.</returns>
    private static string Run(string modelPath, IReadOnlyList<string> files, string root, string outDirectory, ScoringMode? requestedMode, int size, int threads,
        CancellationToken cancellation, Action imageWritten)
    {
        var model = TrainedModel.Load(modelPath);
        var mode = model.ModeOrDefault(requestedMode);
        threads = TrainedModel.UseThreads(threads);
        int side = model.Side(size), channels = model.InputChannels;
        return ConsoleProgress.Run($"predicting ({TrainedModel.Name(mode)})", "images", files.Count, progress =>
        {
            using var scorer = model.Scorer(mode, side, threads);
            foreach (var batch in files.Chunk(SegmentationScorer.DefaultBatchSize))
            {
                // Checked between batches only, so that every mask and overlay is written whole.
                cancellation.ThrowIfCancellationRequested();
                var pixels = batch.SelectMany(file => ImageFile.ReadImage(file, channels, ImageSize.Square(side)).Pixels).ToArray();
                var masks = scorer.Masks(pixels, batch.Length);
                for (int i = 0; i < batch.Length; i++)
                {
                    Write(batch[i], masks.AsSpan(i * side * side, side * side), side, OutputStem(root, outDirectory, batch[i]));
                    imageWritten();
                }
                progress.Advance(batch.Length);
            }
            return TrainedModel.Name(mode);
        });
    }

    /// <summary>The mask, scaled back to the image's own size by nearest neighbour, and the overlay on the image's RGB pixels.</summary>
    private static void Write(string file, ReadOnlySpan<byte> mask, int side, string stem)
    {
        var original = ImageFile.ReadImage(file, channels: 3);
        var fullSize = PredictedMask.Write(stem + MaskSuffix, mask, side, original.Height, original.Width);
        using var overlay = MaskOverlay.Render(original, fullSize, OverlayColour);
        PngFile.Write(stem + OverlaySuffix, overlay);
    }

    /// <summary>Where an image's outputs go: its path under <paramref name="root"/>, moved to <paramref name="outDirectory"/>, without its extension (as batch scoring's).</summary>
    private static string OutputStem(string root, string outDirectory, string file) =>
        PredictedMask.PathFor(outDirectory, Path.GetRelativePath(root, file), suffix: "");

    /// <summary>
    /// The images to score by <see cref="InputImages.ToScore"/> and the folder their output paths mirror, checked before
    /// anything is written: the output folder is not the input folder (its masks would replace NAME_mask ground truth there),
    /// and no two images share an output name (scan.png and scan.jpg would both write scan_mask.png). What the listing
    /// skipped is reported on stderr.
    /// </summary>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="ArgumentException">The folder holds no image file, it is the output folder, or two images share an output name.</exception>
    private static (IReadOnlyList<string> Files, string Root) Inputs(string input, string outDirectory)
    {
        bool folder = Directory.Exists(input);
        if (folder && Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDirectory)))
            throw new ArgumentException($"--out {outDirectory}: is the --input folder; its masks would replace any NAME{InputImages.MaskSuffix} ground truth there, so choose another folder.");
        InputImages.Listing listing;
        try
        {
            listing = InputImages.ToScore(input, outDirectory);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"--input {e.Message}", e.FileName, e);
        }
        if (listing.SkippedSummary(input) is { } skipped)
            Console.Error.WriteLine($"quantunet: warning: {skipped}");
        if (listing.Files.Count == 0)
            throw new ArgumentException($"--input {input}: no image files ({string.Join(", ", InputImages.Extensions)}) in the folder.");
        string root = folder ? input : Path.GetDirectoryName(input)!;
        var byOutput = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in listing.Files)
        {
            var stem = OutputStem(root, "", file);
            if (byOutput.TryGetValue(stem, out var other))
                throw new ArgumentException($"--input {input}: {other} and {file} would both write {stem}{MaskSuffix}; rename one, or predict them into separate folders.");
            byOutput[stem] = file;
        }
        return (listing.Files, root);
    }
}
