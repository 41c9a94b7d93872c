using QuantUNet.Torch.Training;

namespace QuantUNet.Torch.Persistence;

/// <summary>What a model file records about how the model came to be.</summary>
public sealed record ModelMetadata
{
    public int Seed { get; init; }
    public DateTime SavedUtc { get; init; } = DateTime.UtcNow;
    public IReadOnlyList<EpochRecord> Epochs { get; init; } = [];

    /// <summary>Free-form figures (e.g. held-out Dice) the caller wants kept with the weights.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
