using QuantUNet.Integer.Package;

namespace QuantUNet.Integer;

/// <summary>How the model came to be: kept with the weights, never used by the datapath.</summary>
public sealed record IntegerModelMetadata
{
    /// <summary>The <see cref="Metrics"/> key of the side the model was trained at (images are resized to it before scoring).</summary>
    public const string ImageSizeMetric = "imageSize";

    /// <summary>The training run's seed.</summary>
    public int Seed { get; init; }

    /// <summary>When the trained model was saved.</summary>
    public DateTime TrainedUtc { get; init; }

    /// <summary>When it was exported to integers.</summary>
    public DateTime ExportedUtc { get; init; }

    /// <summary>Where it came from (a model file name, a test), for people reading the file.</summary>
    public string Source { get; init; } = "";

    /// <summary>These metadata with the seed, save time and metrics of <paramref name="training"/> (none: zero, unset and empty).</summary>
    public IntegerModelMetadata WithTraining(TrainingRecord? training) => this with
    {
        Seed = training?.Seed ?? 0,
        TrainedUtc = training?.SavedUtc ?? default,
        Metrics = training?.Metrics ?? new Dictionary<string, double>(),
    };

    /// <summary>Figures such as held-out Dice, by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
