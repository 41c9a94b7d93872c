using Microsoft.ML.Runtime;
using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.MLNet;

/// <summary>
/// Turns a trained TorchSharp QuantU-Net into a <see cref="QuantUNetTransformer"/>: the one path from trained weights to
/// the ML.NET transformer, taken by <see cref="QuantUNetTrainer.Fit"/>, by <c>quantunet train</c> and, for model files
/// of any format (the previous TorchSharp <c>model.qunet</c> included), by <see cref="FromModelFile"/>.
/// </summary>
public static class TrainedTransformer
{
    /// <summary>
    /// A transformer over the model in <paramref name="path"/>: anything <c>LoadModel</c> reads, and also a TorchSharp
    /// model file of the previous format (<c>model.qunet</c>), whose widths only TorchSharp can read. Save it with
    /// <c>mlContext.Model.Save</c> to get an ordinary ML.NET model zip.
    /// </summary>
    /// <param name="catalog">The MLContext's segmentation catalog: <c>mlContext.Segmentation()</c>.</param>
    /// <param name="path">The model file, or the folder <c>quantunet train</c> wrote.</param>
    /// <param name="columns">Column names and scoring settings (only those fields are read); null keeps the defaults
    /// (Image, Score, PredictedLabel; <see cref="SegmentationScorer.DefaultMode"/>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a valid model file (named in the message).</exception>
    public static QuantUNetTransformer FromModelFile(this SegmentationCatalog catalog, string path, QuantUNetTrainer.Options? columns = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Create(ModelFile.LoadPackage(path), columns ?? new QuantUNetTrainer.Options());
    }

    /// <summary>The transformer of a trained model; it scores from the packaged weights, exactly as after <c>Model.Load</c>.</summary>
    /// <exception cref="InvalidOperationException">Integer scoring was asked for but the model could not be exported to integers.</exception>
    internal static QuantUNetTransformer Create(QuantUNetModel model, TrainingRecord training, ImageShape shape, QuantUNetTrainer.Options options, IChannel channel) =>
        Create(ModelFile.Package(model, new ImageSize(shape.Height, shape.Width), training, problem => channel.Warning(MessageSensitivity.None, $"QuantU-Net: {problem}")), options);

    private static QuantUNetTransformer Create(ModelPackage package, QuantUNetTrainer.Options options)
    {
        var mode = options.ScoringMode ?? SegmentationScorer.DefaultMode(package);
        SegmentationScorer.CheckMode(package, mode);
        ScorerProviders.Register(TorchScorerProvider.Instance);
        return new QuantUNetTransformer(new SegmentationModel(new TransformerOptions(options.Columns, mode, options.ScoringBatchSize), package));
    }
}
