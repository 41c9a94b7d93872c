using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantUNet.Integer.Package;

/// <summary>One weight layer of a trained QuantU-Net: its learned widths (32 in a float model) and its size.</summary>
/// <param name="ActivationBits">Width of the activations entering the layer, the other operand of its multipliers.</param>
public sealed record LayerWidths(string Name, int WeightBits, int ActivationBits, long WeightCount, long BiasCount);

/// <summary>How a model came to be: kept with it, never used to score.</summary>
public sealed record TrainingRecord
{
    public int Seed { get; init; }

    public DateTime SavedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>Figures such as held-out Dice, by name.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}

/// <summary>
/// Everything about a trained QuantU-Net except its weights, and the one home of every fact derived from it (average
/// bits, sizes): the architecture, the image it was trained on, each layer's learned widths and how it was trained.
/// </summary>
public sealed record ModelDescription
{
    /// <summary>A float model's widths: float32.</summary>
    public const int FloatBits = 32;

    /// <summary>Image channels: 1 (grey) or 3 (RGB, e.g. the LGG set's three MRI sequences).</summary>
    public required int ImageChannels { get; init; }

    /// <summary>The height the model was trained at (and scores at unless told otherwise).</summary>
    public required int ImageHeight { get; init; }

    public required int ImageWidth { get; init; }

    /// <summary>How pixels are mapped before the first quantizer.</summary>
    public PixelNormalization Normalization { get; init; }

    /// <summary>False for the float baseline, whose layers all report <see cref="FloatBits"/>.</summary>
    public required bool Quantized { get; init; }

    /// <summary>Channels of the first U-Net level.</summary>
    public required int BaseWidth { get; init; }

    /// <summary>A BatchNorm after each 3x3 convolution (folded into the weights when quantized).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>The quantizers' settings as QuantUNet.Torch writes them; only the TorchSharp side reads them.</summary>
    public JsonElement? Quantization { get; init; }

    /// <summary>The 23 weight layers in datapath order.</summary>
    public required IReadOnlyList<LayerWidths> Layers { get; init; }

    public TrainingRecord Training { get; init; } = new();

    /// <summary>Plain mean of the layers' weight widths, the figure the QuantU-Net paper reports.</summary>
    [JsonIgnore] public double AverageWeightBits => Layers.Average(l => (double)l.WeightBits);

    /// <summary>Weight widths averaged by parameter count: the bits a weight really takes.</summary>
    [JsonIgnore] public double SizeWeightedWeightBits => Layers.Sum(l => (double)l.WeightBits * l.WeightCount) / Layers.Sum(l => (double)l.WeightCount);

    [JsonIgnore] public double AverageActivationBits => Layers.Average(l => (double)l.ActivationBits);

    /// <summary>Weights and biases.</summary>
    [JsonIgnore] public long ParameterCount => Layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>Packed size in bytes: each weight at its layer's width, biases as int32.</summary>
    [JsonIgnore] public long SizeBytes => (Layers.Sum(l => l.WeightCount * l.WeightBits + l.BiasCount * 32) + 7) / 8;

    /// <summary>The same network stored as float32.</summary>
    [JsonIgnore] public long FloatSizeBytes => ParameterCount * sizeof(float);

    /// <summary>How many times smaller than float32 the packed model is.</summary>
    [JsonIgnore] public double SizeRatio => (double)FloatSizeBytes / SizeBytes;

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
            : l.WeightBits != FloatBits || l.ActivationBits != FloatBits);
        return wrong is null ? null
            : $"layer {wrong.Name} has {wrong.WeightBits}-bit weights and {wrong.ActivationBits}-bit activations, impossible in a {(Quantized ? "quantized" : "float")} model.";
    }
}
