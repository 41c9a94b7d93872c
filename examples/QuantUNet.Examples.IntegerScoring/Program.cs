// Scores images with a saved QuantU-Net in integer mode, in an app that references no TorchSharp package, and writes
// one mask PNG per image.
// Usage: dotnet run --project examples/QuantUNet.Examples.IntegerScoring -c Release -- MODEL.zip IMAGE_FOLDER_OR_FILE OUT_DIR
// MODEL.zip is a pipeline saved with mlContext.Model.Save whose QuantU-Net reads an MLImage column (as the Segmentation
// example's does). Images are loaded and resized to the model's size here, the steps that pipeline starts with; its
// other steps (and its input columns, such as the mask paths training read) are not needed to score.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;
using QuantUNet.MLNet;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: QuantUNet.Examples.IntegerScoring MODEL.zip IMAGE_FOLDER_OR_FILE OUT_DIR");
    return 2;
}
var (modelPath, imagesPath, outputFolder) = (args[0], args[1], args[2]);
var images = ImageFiles.ListOrExplain(imagesPath);
if (images is null) return 2;
Directory.CreateDirectory(outputFolder);
var clock = Stopwatch.StartNew();

var mlContext = new MLContext();
mlContext.Segmentation(); // lets this MLContext load QuantU-Net transformers
var loaded = mlContext.Model.Load(modelPath, out _);
var saved = (loaded as IEnumerable<ITransformer>)?.OfType<QuantUNetTransformer>().SingleOrDefault() ?? loaded as QuantUNetTransformer
    ?? throw new InvalidDataException($"{modelPath} holds no QuantU-Net transformer.");
// Whatever mode the model was saved with (a TorchSharp mode needs QuantUNet.MLNet.Training), the integer engine needs only QuantUNet.MLNet.
using var quantUNet = saved.WithScoringMode(ScoringMode.Integer);
Console.WriteLine($"Loaded {modelPath}: {quantUNet.ImageHeight}x{quantUNet.ImageWidth}, {quantUNet.ImageChannels} channel(s), "
    + $"{quantUNet.Description.Bitwidths.AverageWeightBits:F2} weight bits on average, scoring mode {quantUNet.ScoringMode}.");

var scoring = mlContext.Transforms.LoadImages(quantUNet.ImageColumnName, imageFolder: null, inputColumnName: nameof(ImageFileRow.ImagePath))
    .Append(mlContext.Transforms.ResizeImages(quantUNet.ImageColumnName, quantUNet.ImageWidth, quantUNet.ImageHeight))
    .Fit(mlContext.Data.LoadFromEnumerable<ImageFileRow>([]))
    .Append(quantUNet);
var scored = scoring.Transform(mlContext.Data.LoadFromEnumerable(images.Select(path => new ImageFileRow(path))));

var masks = scored.GetColumn<bool[]>(quantUNet.PredictedLabelColumnName);
foreach (var (path, mask) in images.Zip(masks))
{
    string maskPath = Path.Combine(outputFolder, Path.GetFileNameWithoutExtension(path) + "-mask.png");
    ImageFile.WriteMask(maskPath, new BinaryMask(quantUNet.ImageHeight, quantUNet.ImageWidth, [.. mask.Select(p => p ? (byte)1 : (byte)0)]));
    Console.WriteLine($"{Path.GetFileName(path)}: foreground {mask.Count(p => p) / (double)mask.Length:P2} -> {maskPath}");
}
Console.WriteLine($"Scored {images.Count} image(s) in {clock.Elapsed.TotalSeconds:F1} s.");
return 0;
