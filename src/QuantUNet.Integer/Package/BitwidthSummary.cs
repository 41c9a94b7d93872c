namespace QuantUNet.Integer.Package;

/// <summary>One weight layer of a trained QuantU-Net: its learned widths (32 in a float model) and its size.</summary>
/// <param name="ActivationBits">Width of the activations entering the layer, the other operand of its multipliers.</param>
/// <param name="Name">The layer's name in the U-Net (e.g. "enc1_conv1").</param>
/// <param name="WeightBits">Width of its weights in bits: 2..8 when quantized, 32 in a float model.</param>
/// <param name="WeightCount">Number of weights.</param>
/// <param name="BiasCount">Number of biases (one per output channel).</param>
public sealed record LayerWidths(string Name, int WeightBits, int ActivationBits, long WeightCount, long BiasCount);

/// <summary>
/// A model's learned widths and the one home of every figure derived from them (average bits, sizes): the TorchSharp
/// model's, a training epoch's and a stored model's description all report them through this.
/// </summary>
public sealed record BitwidthSummary(IReadOnlyList<LayerWidths> Layers)
{
    /// <summary>The width of every weight and activation of a float model (quantizers off): float32.</summary>
    public const int FloatBits = 32;

    /// <summary>Plain mean of the layers' weight widths, the figure the QuantU-Net paper reports (4.24).</summary>
    public double AverageWeightBits => Layers.Average(l => (double)l.WeightBits);

    /// <summary>Weight widths averaged by parameter count: the bits a weight really takes.</summary>
    public double SizeWeightedWeightBits => Layers.Sum(l => (double)l.WeightBits * l.WeightCount) / Layers.Sum(l => (double)l.WeightCount);

    /// <summary>Plain mean of the layers' activation widths, in bits.</summary>
    public double AverageActivationBits => Layers.Average(l => (double)l.ActivationBits);

    /// <summary>Weights and biases.</summary>
    public long ParameterCount => Layers.Sum(l => l.WeightCount + l.BiasCount);

    /// <summary>Packed size in bytes: each weight at its layer's width, biases as int32.</summary>
    public long SizeBytes => (Layers.Sum(l => l.WeightCount * l.WeightBits + l.BiasCount * 32) + 7) / 8;

    /// <summary>The same network stored as float32.</summary>
    public long FloatSizeBytes => ParameterCount * sizeof(float);

    /// <summary>How many times smaller than float32 the packed model is.</summary>
    public double SizeRatio => (double)FloatSizeBytes / SizeBytes;
}
