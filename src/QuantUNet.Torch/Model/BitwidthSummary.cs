using QuantUNet.Integer;
using QuantUNet.Torch.Quantization;

namespace QuantUNet.Torch.Model;

/// <summary>One weight layer's learned widths and size.</summary>
/// <param name="ActivationBits">Width of the activations entering the layer (its MAC's other operand).</param>
public sealed record LayerBitwidth(string Name, LayerKind Kind, int WeightBits, int ActivationBits, long WeightCount, long BiasCount);

/// <summary>The learned bitwidths of a model and what they mean for its size.</summary>
public sealed record BitwidthSummary(IReadOnlyList<LayerBitwidth> Layers)
{
    /// <summary>Plain mean of the weight bitwidths over the layers: the figure the paper reports (4.24).</summary>
    public double AverageWeightBits => Layers.Average(l => (double)l.WeightBits);

    /// <summary>Weight bitwidths averaged by parameter count: the bits a weight really takes.</summary>
    public double SizeWeightedWeightBits =>
        Layers.Sum(l => (double)l.WeightBits * l.WeightCount) / Layers.Sum(l => (double)l.WeightCount);

    public double AverageActivationBits => Layers.Average(l => (double)l.ActivationBits);

    public long ParameterCount => Layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>Packed size: each weight at its layer's width, biases as int32.</summary>
    public long QuantizedSizeBits => Layers.Sum(l => l.WeightCount * l.WeightBits + l.BiasCount * 32);

    /// <summary>The float32 model's size over the packed quantized one.</summary>
    public double SizeRatio => ParameterCount * 32.0 / QuantizedSizeBits;

    /// <summary>The width of every weight and activation of a float model (quantizers off): float32.</summary>
    public const int FloatBits = 32;

    /// <summary>The model's widths; a float model's are <see cref="FloatBits"/>, whatever its unused quantizers hold.</summary>
    internal static BitwidthSummary Of(QuantUNetModel model) => new(model.Layers.Select(l => new LayerBitwidth(
        l.GetName(), l.Kind, model.Quantize ? l.WeightQuantizer.Bitwidth.Current : FloatBits, model.Quantize ? l.InputQuantizer.Bitwidth.Current : FloatBits,
        l.Weight.numel(), l.Bias.numel())).ToList());
}
