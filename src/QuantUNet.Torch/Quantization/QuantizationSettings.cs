namespace QuantUNet.Torch.Quantization;

/// <summary>The quantizer configuration every layer of a model shares.</summary>
public sealed record QuantizationSettings
{
    /// <summary>Weight bitwidths: learned, from 8 bits down to at least 2 by default.</summary>
    public BitWidthSettings WeightBits { get; init; } = new();

    /// <summary>Bitwidths of the activations entering each layer.</summary>
    public BitWidthSettings ActivationBits { get; init; } = new();

    /// <summary>Bitwidth of the image entering the first layer (threshold fixed at 1.0: images are in [0, 1]).</summary>
    public BitWidthSettings ImageBits { get; init; } = new();

    public WeightScaling WeightScaling { get; init; } = WeightScaling.MaxAbs;

    public ActivationThresholdSettings ActivationThreshold { get; init; } = new();
}
