// Scores images with an exported QuantU-Net ONNX model in an ML.NET pipeline and writes one mask (PGM) per image.
// Usage: dotnet run --project examples/QuantUNet.Examples.OnnxScoring -c Release -- MODEL.onnx IMAGE_FOLDER_OR_FILE OUT_DIR [SIZE]
// MODEL.onnx comes from `quantunet export --format onnx` (integer QDQ) or `--format onnx-float`. Its input `image` is
// float [N, C, H, W] with pixels in [0, 1]; its output `logits` is [N, 1, H, W], foreground where the logit is > 0.
// SIZE (default 128, a multiple of 16) is the side the images are resized to.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;

if (args.Length is < 3 or > 4 || (args.Length == 4 && (!int.TryParse(args[3], out int parsed) || parsed <= 0 || parsed % 16 != 0)))
{
    Console.Error.WriteLine("usage: QuantUNet.Examples.OnnxScoring MODEL.onnx IMAGE_FOLDER_OR_FILE OUT_DIR [SIZE, a multiple of 16]");
    return 2;
}
var (modelPath, imagesPath, outputFolder) = (args[0], args[1], args[2]);
int size = args.Length == 4 ? int.Parse(args[3]) : 128;
var images = ImageFiles.ListOrExplain(imagesPath);
if (images is null) return 2;
Directory.CreateDirectory(outputFolder);
var clock = Stopwatch.StartNew();

// The model's channel count (1: grey, 3: RGB) from its input; everything else is in the graph.
int channels;
using (var session = new InferenceSession(modelPath)) channels = session.InputMetadata["image"].Dimensions[1];

var mlContext = new MLContext();
var pipeline = mlContext.Transforms.LoadImages("picture", imageFolder: null, inputColumnName: nameof(ImageFileRow.ImagePath))
    .Append(mlContext.Transforms.ResizeImages("picture", size, size))
    // Planar (CHW) floats in [0, 1]: one colour of a grey image, or R, G, B.
    .Append(mlContext.Transforms.ExtractPixels("image", "picture",
        colorsToExtract: channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
        interleavePixelColors: false, scaleImage: 1f / 255))
    .Append(mlContext.Transforms.ApplyOnnxModel(["logits"], ["image"], modelPath,
        new Dictionary<string, int[]> { ["image"] = [1, channels, size, size] }, gpuDeviceId: null, fallbackToCpu: false));
var rows = mlContext.Data.LoadFromEnumerable(images.Select(path => new ImageFileRow(path)));
var scored = pipeline.Fit(rows).Transform(rows);

foreach (var (path, logits) in images.Zip(scored.GetColumn<float[]>("logits")))
{
    string maskPath = Path.Combine(outputFolder, Path.GetFileNameWithoutExtension(path) + "-mask.pgm");
    var mask = logits.Select(l => l > 0 ? (byte)255 : (byte)0).ToArray();
    using (var file = File.Create(maskPath))
    {
        file.Write(System.Text.Encoding.ASCII.GetBytes($"P5\n{size} {size}\n255\n"));
        file.Write(mask);
    }
    Console.WriteLine($"{Path.GetFileName(path)}: foreground {mask.Count(p => p > 0) / (double)mask.Length:P2} -> {maskPath}");
}
Console.WriteLine($"Scored {images.Count} image(s) in {clock.Elapsed.TotalSeconds:F1} s with ONNX Runtime through ML.NET.");
return 0;
