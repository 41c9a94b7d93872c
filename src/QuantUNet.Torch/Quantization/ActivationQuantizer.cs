using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>Where an activation quantizer's threshold comes from.</summary>
/// <param name="Fixed">A constant threshold (1.0 for images normalised to [0, 1]); null to learn one.</param>
/// <param name="CalibrationBatches">Training batches whose statistics initialise a learned threshold.</param>
/// <param name="Percentile">The statistic those batches contribute (Brevitas uses 0.99999).</param>
public sealed record ActivationThresholdOptions(double? Fixed = null, int CalibrationBatches = 20, double Percentile = 0.9999);

/// <summary>
/// Unsigned per-tensor quantizer for non-negative activations (post-ReLU features, image intensities),
/// with a learned bitwidth and a learned or fixed threshold. Values below zero clamp to 0, so it also
/// acts as the ReLU of the integer datapath.
/// </summary>
public sealed class ActivationQuantizer : Quantizer
{
    private readonly LearnedThreshold? learnedThreshold;
    private readonly double? fixedThreshold;

    public ActivationQuantizer(string name, BitwidthOptions bitwidth, ActivationThresholdOptions threshold) : base(name, bitwidth)
    {
        fixedThreshold = threshold.Fixed;
        if (fixedThreshold is null)
            learnedThreshold = new LearnedThreshold("threshold", [], threshold.CalibrationBatches, threshold.Percentile);
        RegisterComponents();
    }

    public override IntegerRange Range => IntegerRange.Unsigned;
    public LearnedThreshold? LearnedThreshold => learnedThreshold;

    /// <summary>The current step without quantizing anything (for export).</summary>
    public Tensor Scale()
    {
        var threshold = learnedThreshold?.Value ?? (Tensor)tensor((float)fixedThreshold!.Value);
        return threshold / Range.Max(Bitwidth.Bits());
    }

    protected override Tensor Threshold(Tensor x) =>
        learnedThreshold?.For(x) ?? tensor((float)fixedThreshold!.Value, dtype: x.dtype);
}
