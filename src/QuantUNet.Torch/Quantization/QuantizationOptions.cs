namespace QuantUNet.Torch.Quantization;

/// <summary>The quantizer configuration every layer of a model shares.</summary>
public sealed record QuantizationOptions
{
    /// <summary>Weight bitwidths: learned, from 8 bits down to at least 2 by default.</summary>
    public BitwidthOptions WeightBits { get; init; } = new();

    /// <summary>
    /// The default floor of activation and image widths. Pushed by the bitwidth term with nothing to stop them, most
    /// activation widths fell to 2 bits (3 levels of a ReLU output), where validation Dice swung by points from epoch to
    /// epoch; 4 bits (15 levels) is where low-bit networks usually keep their accuracy. Activation widths do not count in
    /// the model's size, so the floor costs no stored bit.
    /// </summary>
    public const int DefaultMinActivationBits = 4;

    /// <summary>Bitwidths of the activations entering each layer: learned, from 8 bits down to at least <see cref="DefaultMinActivationBits"/> by default.</summary>
    public BitwidthOptions ActivationBits { get; init; } = new(Min: DefaultMinActivationBits);

    /// <summary>Bitwidth of the image entering the first layer (threshold fixed at 1.0: images are in [0, 1]), floored like <see cref="ActivationBits"/>. Default: learned, 8 bits down to <see cref="DefaultMinActivationBits"/>.</summary>
    public BitwidthOptions ImageBits { get; init; } = new(Min: DefaultMinActivationBits);

    /// <summary>How each weight channel's threshold is set; default <see cref="WeightScaling.MaxAbs"/> (nothing clips).</summary>
    public WeightScaling WeightScaling { get; init; } = WeightScaling.MaxAbs;

    /// <summary>How activation thresholds are set; default learned, calibrated over 20 batches at the 0.9999 percentile.</summary>
    public ActivationThresholdOptions ActivationThreshold { get; init; } = new();
}
