using System.Text.Json.Serialization;

namespace QuantUNet.MLNet;

/// <summary>One weight layer of a trained QuantU-Net: its learned bitwidths (32 in a float model) and its size.</summary>
/// <param name="ActivationBits">Width of the activations entering the layer, the other operand of its multipliers.</param>
public sealed record QuantUNetLayer(string Name, int WeightBits, int ActivationBits, long WeightCount, long BiasCount);

/// <summary>The learned bitwidths of a trained QuantU-Net and what they mean for its size.</summary>
/// <param name="Quantized">False for the float baseline, whose layers all report 32 bits.</param>
/// <param name="Layers">The 23 weight layers in datapath order.</param>
public sealed record QuantUNetModelSummary(bool Quantized, int BaseWidth, IReadOnlyList<QuantUNetLayer> Layers)
{
    /// <summary>Plain mean of the layers' weight bitwidths, the figure the QuantU-Net paper reports.</summary>
    [JsonIgnore]
    public double AverageWeightBits => Layers.Average(l => (double)l.WeightBits);

    /// <summary>Weight bitwidths averaged by parameter count: the bits a weight really takes.</summary>
    [JsonIgnore]
    public double SizeWeightedWeightBits => Layers.Sum(l => (double)l.WeightBits * l.WeightCount) / Layers.Sum(l => (double)l.WeightCount);

    [JsonIgnore]
    public double AverageActivationBits => Layers.Average(l => (double)l.ActivationBits);

    /// <summary>Weights and biases.</summary>
    [JsonIgnore]
    public long ParameterCount => Layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>Packed size in bytes: each weight at its layer's width, biases as int32.</summary>
    [JsonIgnore]
    public long SizeBytes => (Layers.Sum(l => l.WeightCount * l.WeightBits + l.BiasCount * 32) + 7) / 8;

    /// <summary>The same network stored as float32.</summary>
    [JsonIgnore]
    public long FloatSizeBytes => ParameterCount * sizeof(float);

    /// <summary>How many times smaller than float32 the packed model is.</summary>
    [JsonIgnore]
    public double SizeRatio => (double)FloatSizeBytes / SizeBytes;
}
