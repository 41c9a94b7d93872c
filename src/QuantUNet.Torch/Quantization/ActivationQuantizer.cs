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

    /// <summary>An activation quantizer with a learned bitwidth and a learned or fixed threshold.</summary>
    /// <param name="name">The module's name in the state dict.</param>
    /// <param name="bitwidth">The bit range and initial width.</param>
    /// <param name="threshold">A fixed threshold, or how to calibrate a learned one.</param>
    public ActivationQuantizer(string name, BitwidthOptions bitwidth, ActivationThresholdOptions threshold) : base(name, bitwidth)
    {
        fixedThreshold = threshold.Fixed;
        if (fixedThreshold is null)
            learnedThreshold = new LearnedThreshold("threshold", [], threshold.CalibrationBatches, threshold.Percentile);
        RegisterComponents();
    }

    /// <summary>Unsigned codes 0..2^b - 1.</summary>
    public override IntegerRange Range => IntegerRange.Unsigned;
    /// <summary>The learned threshold; null when the threshold is fixed (the image quantizer: 1.0).</summary>
    public LearnedThreshold? LearnedThreshold => learnedThreshold;

    /// <summary>The current step without quantizing anything (for export).</summary>
    public Tensor Scale()
    {
        using var scope = NewDisposeScope();
        var threshold = learnedThreshold?.Value ?? (Tensor)tensor((float)fixedThreshold!.Value);
        return (threshold / QuantizerWidth.Of(this).Bound).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override Tensor Threshold(Tensor x) =>
        learnedThreshold?.For(x) ?? tensor((float)fixedThreshold!.Value, dtype: x.dtype);
}
