using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// Per-output-channel, signed narrow-range weight quantizer with a learned bitwidth: a bitwidth part,
/// a scaling part and the <see cref="IntQuant"/> op, composed as in Brevitas.
/// </summary>
public sealed class WeightQuantizer : nn.Module<Tensor, Tensor>
{
    private readonly LearnedBitWidth bits;
    private readonly LearnedThreshold? learnedThreshold;

    /// <param name="outputChannelAxis">0 for Conv2d weights [out, in, kh, kw]; 1 for ConvTranspose2d [in, out, kh, kw].</param>
    public WeightQuantizer(string name, long[] weightShape, int outputChannelAxis, BitWidthSettings bitWidth, WeightScaling scaling)
        : base(name)
    {
        OutputChannelAxis = outputChannelAxis;
        bits = bitWidth.Create("bits");
        if (scaling == WeightScaling.LearnedThreshold)
        {
            var shape = Enumerable.Repeat(1L, weightShape.Length).ToArray();
            shape[outputChannelAxis] = weightShape[outputChannelAxis];
            learnedThreshold = new LearnedThreshold("threshold", shape, calibrationBatches: 1, percentile: 1);
        }
        RegisterComponents();
    }

    public int OutputChannelAxis { get; }
    public IntegerRange Range => IntegerRange.SignedNarrow;
    public LearnedBitWidth BitWidth => bits;
    public LearnedThreshold? LearnedThreshold => learnedThreshold;

    /// <summary>The dequantized weight the convolution uses.</summary>
    public override Tensor forward(Tensor weight) => FakeQuantize(weight).Value;

    /// <summary>The dequantized weight and the per-channel step (shaped to broadcast against the weight).</summary>
    public (Tensor Value, Tensor Scale) FakeQuantize(Tensor weight)
    {
        var b = bits.Bits();
        var max = Range.Max(b);
        var scale = Threshold(weight) / max;
        return (IntQuant.FakeQuantize(weight, scale, Range.Min(b), max, Range, (int)b.item<float>()), scale);
    }

    /// <summary>The integer codes of the weight at the current width and step (export, tests).</summary>
    public Tensor Integers(Tensor weight)
    {
        using var _ = no_grad();
        var (_, scale) = FakeQuantize(weight);
        return IntQuant.Integers(weight, scale, Range, bits.Current);
    }

    private Tensor Threshold(Tensor weight)
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
