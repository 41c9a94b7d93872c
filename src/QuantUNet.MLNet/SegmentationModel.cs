using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>The names of the columns a <see cref="QuantUNetTransformer"/> reads and writes.</summary>
/// <param name="Image">The input image column.</param>
/// <param name="Score">The output column of foreground probabilities.</param>
/// <param name="PredictedLabel">The output column of the predicted mask.</param>
/// <param name="PredictedMaskImage">An extra output column holding the predicted mask as an image (white foreground), or null for none.</param>
internal sealed record ColumnNames(string Image, string Score, string PredictedLabel, string? PredictedMaskImage)
{
    public static ColumnNames Default { get; } = new("Image", "Score", "PredictedLabel", null);
}

/// <summary>What the transformer adds to a model: the columns it reads and writes, its scoring mode and batch; the header of its saved payload.</summary>
internal sealed record TransformerOptions(ColumnNames Columns, ScoringMode ScoringMode, int ScoringBatchSize);

/// <summary>A trained QuantU-Net as the transformer carries and saves it: its settings and the model package, unchanged.</summary>
internal sealed record SegmentationModel(TransformerOptions Settings, ModelPackage Package)
{
    public ModelDescription Description => Package.Description;
}
