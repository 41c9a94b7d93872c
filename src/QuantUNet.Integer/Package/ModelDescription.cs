using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantUNet.Integer.Package;

/// <summary>How a model came to be: kept with it, never used to score.</summary>
public sealed record TrainingRecord
{
    /// <summary>The random seed training used (default 0).</summary>
    public int Seed { get; init; }

    /// <summary>When the model was saved, UTC; defaults to the moment the record was made.</summary>
    public DateTime SavedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>Figures such as held-out Dice, by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}

/// <summary>
/// Everything about a trained QuantU-Net except its weights: the architecture, the image it was trained on, each
/// layer's learned widths (with what they mean for its size in <see cref="Bitwidths"/>) and how it was trained.
/// </summary>
public sealed record ModelDescription
{
    /// <summary>Image channels: 1 (grey) or 3 (RGB, e.g. the LGG set's three MRI sequences).</summary>
    public required int ImageChannels { get; init; }

    /// <summary>The height the model was trained at (and scores at unless told otherwise).</summary>
    public required int ImageHeight { get; init; }

    /// <summary>The width the model was trained at (and scores at unless told otherwise), in pixels.</summary>
    public required int ImageWidth { get; init; }

    /// <summary>How pixels are mapped before the first quantizer.</summary>
    public PixelNormalization Normalization { get; init; }

    /// <summary>False for the float baseline, whose layers all report <see cref="BitwidthSummary.FloatBits"/>.</summary>
    public required bool Quantized { get; init; }

    /// <summary>Channels of the first U-Net level.</summary>
    public required int BaseWidth { get; init; }

    /// <summary>A BatchNorm after each 3x3 convolution (folded into the weights when quantized).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>The quantizers' settings as QuantUNet.Torch writes them; only the TorchSharp side reads them.</summary>
    public JsonElement? Quantization { get; init; }

    /// <summary>The 23 weight layers in datapath order.</summary>
    public required IReadOnlyList<LayerWidths> Layers { get; init; }

    /// <summary>How the model was trained: seed, save time, validation figures; empty by default.</summary>
    public TrainingRecord Training { get; init; } = new();

    /// <summary>The average widths and sizes <see cref="Layers"/> make.</summary>
    [JsonIgnore] public BitwidthSummary Bitwidths => new(Layers);

    /// <summary>Largest image (channels x height x width) a description may declare: scoring allocates buffers of this size.</summary>
    public const long MaxImageValues = 1L << 28;

    /// <summary>What makes the description unusable, or null (JSON leaves missing fields null or zero).</summary>
    internal string? Problem()
    {
        if (ImageChannels < 1 || ImageHeight < 1 || ImageWidth < 1 || (long)ImageChannels * ImageHeight * ImageWidth > MaxImageValues)
            return $"image size {ImageChannels}x{ImageHeight}x{ImageWidth} is not between 1 and {MaxImageValues} values.";
        if (!Enum.IsDefined(Normalization)) return $"unknown pixel normalisation {(int)Normalization}.";
        if (BaseWidth < 1) return $"base width {BaseWidth}.";
        if (Layers is not { Count: > 0 } || Layers.Any(l => l?.Name is null)) return "no layers.";
        if (Training?.Metrics is null) return "no training record.";
        var wrong = Layers.FirstOrDefault(l => Quantized
            ? !BitwidthBounds.Weight.Contains(l.WeightBits) || !BitwidthBounds.Activation.Contains(l.ActivationBits)
            : l.WeightBits != BitwidthSummary.FloatBits || l.ActivationBits != BitwidthSummary.FloatBits);
        return wrong is null ? null
            : $"layer {wrong.Name} has {wrong.WeightBits}-bit weights and {wrong.ActivationBits}-bit activations, impossible in a {(Quantized ? "quantized" : "float")} model.";
    }
}
