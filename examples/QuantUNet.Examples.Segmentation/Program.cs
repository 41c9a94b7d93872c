// Trains a small QuantU-Net through ML.NET on synthetic MRI slices written as PNG files, evaluates it per patient,
// saves it with a deployable scoring model that needs only the image, loads that in a fresh MLContext and writes one
// predicted mask as a PNG.
// Usage: dotnet run --project examples/QuantUNet.Examples.Segmentation -c Release [-- OUTPUT_FOLDER]
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using QuantUNet.Data;
using QuantUNet.MLNet;
using QuantUNet.MLNet.Examples;

const int Size = 64;
string output = Path.GetFullPath(args.Length > 0 ? args[0] : "quantunet-segmentation-example");
string dataFolder = Path.Combine(output, "data");
var clock = Stopwatch.StartNew();

// 1. The data as files, the way users have it: images/NAME.png and masks/NAME.png, 8 slices per synthetic patient.
var slices = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 1 }).WriteDataset(160, dataFolder);
var (trainSlices, testSlices) = DatasetSplit.ByGroup(slices, validationFraction: 0.25, seed: 1);
Console.WriteLine($"Wrote {slices.Count} slices to {dataFolder}: {trainSlices.Count} for training, {testSlices.Count} held out by patient.");

var mlContext = new MLContext(seed: 1);
mlContext.Log += (_, e) =>
{
    if (e.Source.StartsWith(nameof(QuantUNetTrainer), StringComparison.Ordinal) && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info)
        Console.WriteLine($"  {e.RawMessage}");
};
var train = mlContext.Data.LoadFromEnumerable(trainSlices.Select(s => SliceFiles.Of(s, dataFolder)));
var test = mlContext.Data.LoadFromEnumerable(testSlices.Select(s => SliceFiles.Of(s, dataFolder)));

// 2. The pipeline: load and resize images and masks, then train QuantU-Net (small: the program ran in 21 s on an idle 2-core machine).
//    The validation set reaches the trainer as given, so it goes through the loading steps first.
//    The image steps are kept apart: with the trained transformer they are the whole deployable scoring model (step 4).
var imagePreprocessing = mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(SliceFiles.ImagePath))
    .Append(mlContext.Transforms.ResizeImages("Image", Size, Size));
var preprocessing = imagePreprocessing
    .Append(mlContext.Transforms.LoadImages("Mask", imageFolder: null, inputColumnName: nameof(SliceFiles.MaskPath)))
    .Append(mlContext.Transforms.ResizeImages("Mask", Size, Size));
var pipeline = preprocessing.Append(mlContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options
{
    ImageColumnName = "Image",
    LabelColumnName = "Mask",
    PredictedMaskImageColumnName = "PredictedMask",
    BaseWidth = 8,
    Epochs = 16, // all epochs: the first WarmStartSchedule.WarmStartFraction (80%, 13) train the float U-Net, the rest quantization-aware from its weights
    ValidationSet = preprocessing.Fit(test).Transform(test),
}));
Console.WriteLine("Training:");
var model = pipeline.Fit(train);

// 3. Evaluate on the held-out patients.
var metrics = mlContext.Segmentation().Evaluate(model.Transform(test), labelColumnName: "Mask", groupColumnName: nameof(SliceFiles.Patient));
var quantUNet = model.LastTransformer;
Console.WriteLine($"Held out ({metrics.ImageCount} slices, {metrics.GroupCount} patients): {metrics}");
Console.WriteLine($"Bitwidths: weights {quantUNet.Description.Bitwidths.AverageWeightBits:F2} on average ({quantUNet.Description.Bitwidths.SizeWeightedWeightBits:F2} by size), "
    + $"activations {quantUNet.Description.Bitwidths.AverageActivationBits:F2}; {quantUNet.Description.Bitwidths.SizeBytes:N0} bytes packed, "
    + $"{quantUNet.Description.Bitwidths.SizeRatio:F1}x smaller than float32 ({quantUNet.Description.Bitwidths.FloatSizeBytes:N0} bytes).");

// 4. Save the whole pipeline (for evaluating again: it reads masks), and the deployable scoring model: the image steps
//    fitted on their own, then the trained transformer. It needs only ImagePath at prediction time.
string modelPath = Path.Combine(output, "model.zip");
mlContext.Model.Save(model, train.Schema, modelPath);
string scoringPath = Path.Combine(output, "scoring-model.zip");
var imageOnly = mlContext.Data.LoadFromEnumerable(Array.Empty<SliceImage>());
var scoringModel = imagePreprocessing.Fit(imageOnly).Append(model.LastTransformer);
mlContext.Model.Save(scoringModel, imageOnly.Schema, scoringPath);
var fresh = new MLContext();
fresh.Segmentation(); // lets this MLContext load QuantU-Net transformers
var loaded = fresh.Model.Load(scoringPath, out _);
Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length:N0} bytes) and the scoring model {scoringPath} "
    + $"({new FileInfo(scoringPath).Length:N0} bytes), and reloaded the scoring model.");

// 5. Score one held-out slice with a PredictionEngine from the image alone and write its mask (the integer engine, the
//    default for a model that carries its integer model); then score it again with the loaded chain switched to the
//    TorchSharp fake-quant model it was validated as (WithScoringMode works on the whole chain) and compare.
var slice = testSlices.First(s => s.HasForeground);
var sliceImage = new SliceImage { ImagePath = SliceFiles.Of(slice, dataFolder).ImagePath };
using var engine = fresh.Model.CreatePredictionEngine<SliceImage, MaskPrediction>(loaded);
var prediction = engine.Predict(sliceImage);
string maskPath = Path.Combine(output, $"{slice.Name}-predicted.png");
prediction.PredictedMask.Save(maskPath);
var sliceScore = new SegmentationEvaluator().Add(
    prediction.PredictedLabel.Select(p => p ? (byte)1 : (byte)0).ToArray(), slice.Mask, Size, Size);
Console.WriteLine($"Predicted mask of {slice.Name} (Dice {sliceScore.Dice:P1}, {quantUNet.ScoringMode} scoring): {maskPath}");
if (quantUNet.HasIntegerModel)
{
    using var fakeQuantEngine = fresh.Model.CreatePredictionEngine<SliceImage, MaskPrediction>(loaded.WithScoringMode(ScoringMode.FakeQuantized));
    var fakeQuant = fakeQuantEngine.Predict(sliceImage);
    Console.WriteLine($"Fake-quant TorchSharp model against the integer engine: {fakeQuant.PredictedLabel.Zip(prediction.PredictedLabel).Count(p => p.First == p.Second)} of {Size * Size} pixels decided alike.");
}
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F0} s.");

namespace QuantUNet.MLNet.Examples
{
    /// <summary>One slice as files: the input rows of the pipeline.</summary>
    internal sealed record SliceFiles
    {
        public string ImagePath { get; init; } = "";

        public string MaskPath { get; init; } = "";

        public string Patient { get; init; } = "";

        public static SliceFiles Of(SegmentationSample slice, string folder) => new()
        {
            ImagePath = Path.Combine(folder, ImageFolderDataset.ImagesFolder, slice.Name + ".png"),
            MaskPath = Path.Combine(folder, ImageFolderDataset.MasksFolder, slice.Name + ".png"),
            Patient = slice.GroupId,
        };
    }

    /// <summary>What a deployed app has at prediction time: the image alone.</summary>
    internal sealed class SliceImage
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>What the PredictionEngine returns for one slice.</summary>
    internal sealed class MaskPrediction
    {
        public bool[] PredictedLabel { get; set; } = [];

        [ImageType(64, 64)]
        public MLImage PredictedMask { get; set; } = null!;
    }
}
