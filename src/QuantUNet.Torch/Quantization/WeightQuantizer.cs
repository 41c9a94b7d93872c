using TorchSharp;
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

    /// <summary>
    /// The weights times a per-channel gain (a BatchNorm folded in; null for none), quantized: the dequantized folded
    /// weights and their step. What <c>FakeQuantize(weight * gain)</c> gives, value for value; with max-abs scaling on CPU
    /// float32 convolution weights as one autograd node (<see cref="FoldedWeightKernel"/>), the weight path being a
    /// fixed cost of every QAT step.
    /// </summary>
    /// <param name="weight">The float weights.</param>
    /// <param name="gain">One gain per output channel, shape [C], or null.</param>
    internal (Tensor Value, Tensor Scale) FakeQuantize(Tensor weight, Tensor? gain)
    {
        using var scope = NewDisposeScope();
        var (value, scale) = FakeQuantize(weight, gain, QuantizerWidth.Of(this));
        return (value.MoveToOuterDisposeScope(), scale.MoveToOuterDisposeScope());
    }

    /// <summary>The same at a width computed beforehand (<see cref="QuantizerWidth.Of(IReadOnlyList{Quantizer})"/>).</summary>
    internal (Tensor Value, Tensor Scale) FakeQuantize(Tensor weight, Tensor? gain, QuantizerWidth width)
    {
        if (learnedThreshold is not null || !FoldedWeightKernel.Supports(weight, gain))
            return FakeQuantize(gain is null ? weight : weight * gain.reshape(ChannelShape(weight.dim())), width);
        using var scope = NewDisposeScope();
        var (low, high) = Range.Bounds(width.Current);
        var outputs = FoldedWeightFunction.apply(weight, gain ?? ones(weight.shape[OutputChannelAxis]), width.Bound, OutputChannelAxis, (float)low, (float)high);
        return (outputs[0].MoveToOuterDisposeScope(), outputs[1].MoveToOuterDisposeScope());
    }

    /// <summary>[1, .., C, .., 1]: a per-channel value shaped to broadcast against the weights.</summary>
    internal long[] ChannelShape(long rank)
    {
        var shape = Enumerable.Repeat(1L, (int)rank).ToArray();
        shape[OutputChannelAxis] = -1;
        return shape;
    }

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

/// <summary>
/// (w g quantized, its step) from the weights w, the gains g and the code bound N(b), as one autograd node over
/// <see cref="FoldedWeightKernel"/>: gradients for w, g and N(b), none for the axis and the numeric bounds.
/// </summary>
internal sealed class FoldedWeightFunction : autograd.MultiTensorFunction<FoldedWeightFunction>
{
    private static readonly float Floor = (float)MaxAbsThreshold.Floor;

    public override string Name => "FoldedWeightQuant";

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (weight, gain, bound) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        int axis = (int)vars[3];
        float low = (float)vars[4], high = (float)vars[5];
        var (value, state) = FoldedWeightKernel.Forward(weight, axis, gain.contiguous().data<float>().ToArray(), bound.item<float>(), low, high, Floor);
        // An unused output's gradient comes as an undefined tensor, not as zeros made from the empty copy of the output
        // that TorchSharp keeps for the purpose in the caller's dispose scope (freed by the time backward runs).
        ctx.set_materialize_grads(false);
        ctx.save_for_backward([weight]);
        ctx.save_data("state", state);
        ctx.save_data("axis", axis);
        ctx.save_data("low", low);
        ctx.save_data("high", high);
        var stepShape = Enumerable.Repeat(1L, (int)weight.dim()).ToArray();
        stepShape[axis] = state.Steps.Length;
        return [value, tensor(state.Steps).reshape(stepShape)];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradients)
    {
        var weight = ctx.get_saved_variables()[0];
        var state = (FoldedWeightKernel.Folded)ctx.get_data("state");
        var valueGradient = gradients[0] is { IsInvalid: false } value ? value : zeros_like(weight);
        var stepGradient = gradients[1] is { IsInvalid: false } step ? step.contiguous().data<float>().ToArray() : null;
        var (gradWeight, gradGain, gradBound) = FoldedWeightKernel.Backward(valueGradient, stepGradient, weight, (int)ctx.get_data("axis"),
            state, (float)ctx.get_data("low"), (float)ctx.get_data("high"), Floor);
        return [gradWeight, gradGain, gradBound, null!, null!, null!];
    }
}
