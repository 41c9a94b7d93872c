using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>Per-output-channel, signed narrow-range weight quantizer with a learned bitwidth.</summary>
public sealed class WeightQuantizer : Quantizer
{
    private readonly LearnedThreshold? learnedThreshold;

    /// <param name="outputChannelAxis">0 for Conv2d weights [out, in, kh, kw]; 1 for ConvTranspose2d [in, out, kh, kw].</param>
    /// <param name="name">The module's name in the state dict.</param>
    /// <param name="weightShape">The weight tensor's shape.</param>
    /// <param name="bitwidth">The bit range and initial width.</param>
    /// <param name="scaling">How each channel's threshold is set.</param>
    public WeightQuantizer(string name, long[] weightShape, int outputChannelAxis, BitwidthOptions bitwidth, WeightScaling scaling)
        : base(name, bitwidth)
    {
        OutputChannelAxis = outputChannelAxis;
        if (scaling == WeightScaling.LearnedThreshold)
        {
            var shape = Enumerable.Repeat(1L, weightShape.Length).ToArray();
            shape[outputChannelAxis] = weightShape[outputChannelAxis];
            learnedThreshold = new LearnedThreshold("threshold", shape, calibrationBatches: 1, percentile: 1);
        }
        RegisterComponents();
    }

    /// <summary>The weight axis that counts output channels: one threshold per channel along it.</summary>
    public int OutputChannelAxis { get; }
    /// <summary>Signed narrow-range codes, -(2^(b-1) - 1)..2^(b-1) - 1.</summary>
    public override IntegerRange Range => IntegerRange.SignedNarrow;
    /// <summary>The learned per-channel threshold; null with <see cref="WeightScaling.MaxAbs"/>.</summary>
    public LearnedThreshold? LearnedThreshold => learnedThreshold;

    /// <inheritdoc/>
    protected override Tensor Threshold(Tensor weight)
    {
        if (learnedThreshold is null) return MaxAbsThreshold.PerChannel(weight, OutputChannelAxis);
        if (!learnedThreshold.Calibrated)
        {
            using var start = MaxAbsThreshold.PerChannel(weight.detach(), OutputChannelAxis);
            learnedThreshold.InitializeFrom(start);
        }
        return learnedThreshold.Value;
    }
}
