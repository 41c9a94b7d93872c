using Microsoft.ML;
using Microsoft.ML.Runtime;
using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;

namespace QuantUNet.MLNet;

/// <summary>
/// Turns a trained TorchSharp QuantU-Net into a <see cref="QuantUNetTransformer"/>: the one path from trained weights to
/// the ML.NET transformer, taken by <see cref="QuantUNetTrainer.Fit"/> and by models trained outside ML.NET
/// (<c>quantunet train</c>) through <see cref="FromModelFile"/>.
/// </summary>
public static class TrainedTransformer
{
    /// <summary>
    /// A transformer that scores with a model file written by <c>quantunet train</c> or the training library
    /// (<c>model.qunet</c>), for images of <paramref name="height"/> x <paramref name="width"/>; save it with
    /// <c>mlContext.Model.Save</c> to get an ordinary ML.NET model zip.
    /// </summary>
    /// <param name="columns">Column names and scoring settings (only those fields are read); null keeps the defaults
    /// (Image, Score, PredictedLabel; fake-quantized scoring for QuantU-Net, float for the baseline).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a valid model file (named in the message).</exception>
    /// <exception cref="ArgumentException">The size is not a positive multiple of 16.</exception>
    public static QuantUNetTransformer FromModelFile(this SegmentationCatalog catalog, string path, int height, int width,
        QuantUNetTrainer.Options? columns = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (height <= 0 || width <= 0 || height % QuantUNetOptions.SizeMultiple != 0 || width % QuantUNetOptions.SizeMultiple != 0)
            throw new ArgumentException($"{height}x{width}: QuantU-Net scores images whose sides are positive multiples of {QuantUNetOptions.SizeMultiple}.");
        var (model, metadata) = ModelFile.Load(path);
        using (model)
        {
            using var channel = catalog.Environment.Register(nameof(TrainedTransformer)).Start("Import");
            return Create(model, metadata, new ImageShape(model.Options.InputChannels, height, width), columns ?? new QuantUNetTrainer.Options(), channel);
        }
    }

    /// <summary>
    /// Writes the TorchSharp model inside <paramref name="transformer"/> to <paramref name="path"/> (a <c>.qunet</c> file,
    /// atomically), the inverse of <see cref="FromModelFile"/>: for the training library and <c>quantunet</c>'s verbs.
    /// </summary>
    public static void SaveModelFile(this QuantUNetTransformer transformer, string path)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        AtomicFile.WriteAllBytes(path, transformer.Model.Blob(TorchScorerProvider.BlobKey));
    }

    /// <summary>The transformer of a trained model; it scores from the serialized weights, exactly as after <c>Model.Load</c>.</summary>
    /// <exception cref="InvalidOperationException">Integer scoring was asked for but the model could not be exported to integers.</exception>
    internal static QuantUNetTransformer Create(QuantUNetModel model, ModelMetadata metadata, ImageShape shape, QuantUNetTrainer.Options options, IChannel channel)
    {
        var scoringMode = options.ScoringMode ?? (model.Quantize ? ScoringMode.FakeQuantized : ScoringMode.Float);
        var description = new ModelDescription(options.Columns, shape.Channels, shape.Height, shape.Width,
            scoringMode, options.ScoringBatchSize, TorchScorerProvider.Summarize(model));
        var blobs = new Dictionary<string, byte[]> { [TorchScorerProvider.BlobKey] = TorchScorerProvider.Serialize(model, metadata) };
        if (model.Quantize && TorchScorerProvider.ExportInteger(model, metadata, shape, channel) is { } integerModel)
            blobs[IntegerScorerProvider.BlobKey] = integerModel;
        else if (scoringMode == ScoringMode.Integer)
            throw new InvalidOperationException("ScoringMode.Integer was asked for, but the model could not be exported to integers (see the log).");
        ScorerProviders.Register(TorchScorerProvider.Instance);
        return new QuantUNetTransformer(new SegmentationModel(description, blobs));
    }
}
