using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary>Tiny data sets that keep the tests fast: 32x32 synthetic slices, as files and as in-memory vectors.</summary>
internal static class TestData
{
    public const int Size = 32;

    /// <summary>A row of image and mask file paths, as a user's data would list them.</summary>
    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";

        public string MaskPath { get; set; } = "";
    }

    /// <summary>A row with the image and mask already as vectors (what ExtractPixels would give).</summary>
    public sealed class VectorRow
    {
        public float[] Image { get; set; } = [];

        public byte[] Label { get; set; } = [];

        public string Patient { get; set; } = "";
    }

    public static IReadOnlyList<SegmentationSample> Slices(int count, int seed = 1) =>
        new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = seed, SlicesPerPatient = 4 }).Generate(count);

    /// <summary>Writes <paramref name="count"/> slices under <paramref name="folder"/> and returns their file paths.</summary>
    public static List<PathRow> WriteFiles(string folder, int count, int seed = 1)
    {
        var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = seed, SlicesPerPatient = 4 }).WriteDataset(count, folder);
        return [.. samples.Select(s => new PathRow
        {
            ImagePath = Path.Combine(folder, ImageFolderDataset.ImagesFolder, s.Name + ".png"),
            MaskPath = Path.Combine(folder, ImageFolderDataset.MasksFolder, s.Name + ".png"),
        })];
    }

    /// <summary>The steps that turn an image path into the model's input: all a deployed scoring model needs before the transformer.</summary>
    public static IEstimator<ITransformer> ImagePreprocessing(MLContext mlContext) =>
        mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(PathRow.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", Size, Size));

    /// <summary>The README's pipeline: load and resize images, then masks, then train a tiny QuantU-Net.</summary>
    public static IEstimator<ITransformer> FilePipeline(MLContext mlContext, QuantUNetTrainer.Options options) =>
        ImagePreprocessing(mlContext)
            .Append(mlContext.Transforms.LoadImages("Mask", imageFolder: null, inputColumnName: nameof(PathRow.MaskPath)))
            .Append(mlContext.Transforms.ResizeImages("Mask", Size, Size))
            .Append(mlContext.Segmentation().Trainers.QuantUNet(options));

    /// <summary>Options for a run of a second or so: base width 4, one quantization-aware epoch (no float warm start).</summary>
    public static QuantUNetTrainer.Options TinyOptions(string labelColumn = "Mask") => new()
    {
        LabelColumnName = labelColumn, BaseWidth = 4, Epochs = 1, FloatWarmStartEpochs = 0, BatchSize = 4, Seed = 7, Threads = 2, ScoringBatchSize = 3,
    };

    /// <summary>Slices as vector rows, with image dimensions ([1, H, W] by default) and mask dimensions [H, W] set in the schema.</summary>
    public static IDataView Vectors(MLContext mlContext, IEnumerable<SegmentationSample> samples, int[]? imageDimensions = null)
    {
        imageDimensions ??= [1, Size, Size];
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, imageDimensions);
        schema[nameof(VectorRow.Label)].ColumnType = imageDimensions.Length < 2
            ? new VectorDataViewType(NumberDataViewType.Byte, Size, Size)
            : new VectorDataViewType(NumberDataViewType.Byte, imageDimensions[^2], imageDimensions[^1]);
        var rows = samples.Select(s => new VectorRow { Image = s.Image, Label = s.Mask, Patient = s.GroupId }).ToList();
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }
}
