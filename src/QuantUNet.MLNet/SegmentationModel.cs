namespace QuantUNet.MLNet;

/// <summary>The names of the columns a <see cref="QuantUNetTransformer"/> reads and writes.</summary>
/// <param name="PredictedMaskImage">An extra output column holding the predicted mask as an image (white foreground), or null for none.</param>
internal sealed record ColumnNames(string Image, string Score, string PredictedLabel, string? PredictedMaskImage);

/// <summary>Everything about a trained model except its weights: what it reads, how it scores and what it learned.</summary>
/// <param name="Channels">Image channels: an MLImage input is read as 1 (grey value) or 3 (R, G, B) planes.</param>
internal sealed record ModelDescription(
    ColumnNames Columns,
    int Channels,
    int Height,
    int Width,
    ScoringMode ScoringMode,
    int ScoringBatchSize,
    QuantUNetModelSummary Summary);

/// <summary>
/// A trained QuantU-Net as the transformer carries and saves it: its description and its weights as opaque blobs,
/// keyed by format (TorchSharp state now; an integer-engine model can sit beside it), read only by the scorer of a mode.
/// </summary>
internal sealed record SegmentationModel(ModelDescription Description, IReadOnlyDictionary<string, byte[]> Blobs)
{
    /// <summary>The blob stored under <paramref name="key"/>, or an error naming the mode that needed it.</summary>
    public byte[] Blob(string key) => Blobs.TryGetValue(key, out var blob)
        ? blob
        : throw new InvalidDataException(
            $"The saved QuantU-Net has no '{key}' weights, which scoring mode {Description.ScoringMode} needs; it holds: {string.Join(", ", Blobs.Keys)}.");
}
