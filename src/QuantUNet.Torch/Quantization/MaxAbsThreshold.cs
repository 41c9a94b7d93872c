using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// Statistics scaling: the threshold of each channel is the largest magnitude in it, so nothing
/// clips. The gradient flows through the max, as with Brevitas' parameter-statistics scaling.
/// </summary>
public static class MaxAbsThreshold
{
    /// <summary>The smallest threshold, so that an all-zero channel still has a step to divide by.</summary>
    internal const double Floor = 1e-8;

    /// <summary>max |x| over every axis but <paramref name="channelAxis"/>, kept as size-1 axes so it broadcasts against x.</summary>
    public static Tensor PerChannel(Tensor x, int channelAxis) => MaxAbsFunction.apply(x, channelAxis);

    /// <summary>
    /// clamp_min(amax(|x|), Floor) as one autograd node: its backward is what autograd derives for the three ops
    /// (each channel's gradient split evenly among its largest magnitudes, with their sign; none where the floor
    /// holds) in four passes over x instead of the seven of the composed backward; on CPU float32 convolution weights
    /// <see cref="MaxAbsKernel"/> reads x twice forward and not at all backward.
    /// </summary>
    private sealed class MaxAbsFunction : autograd.SingleTensorFunction<MaxAbsFunction>
    {
        public override string Name => "MaxAbsPerChannel";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            int channelAxis = (int)vars[1];
            var maxima = MaxAbsKernel.Supports(x) ? MaxAbsKernel.Find(x, channelAxis) : null;
            ctx.save_data("maxima", maxima!);
            if (maxima is not null) return MaxAbsKernel.Values(maxima, channelAxis).ClampMin(Floor);
            var reduced = Enumerable.Range(0, (int)x.dim()).Where(a => a != channelAxis).Select(a => (long)a).ToArray();
            var magnitude = x.abs();
            var largest = magnitude.amax(reduced, keepdim: true);
            ctx.save_for_backward([x, magnitude, largest]);
            ctx.save_data("reduced", reduced);
            return largest.ClampMin(Floor);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
        {
            if (ctx.get_data("maxima") is MaxAbsKernel.Maxima maxima) return [MaxAbsKernel.Gradient(maxima, gradient, (float)Floor), null!];
            var saved = ctx.get_saved_variables();
            var (x, magnitude, largest) = (saved[0], saved[1], saved[2]);
            var atLargest = magnitude.eq(largest);
            var ties = atLargest.sum((long[])ctx.get_data("reduced"), keepdim: true, type: gradient.dtype);
            // At a largest magnitude x / largest is the sign of x, so x times this per-channel factor is the gradient there.
            using var floor = Floor.ToScalar(); // kept alive for the call (see ScalarArguments)
            var perChannel = gradient * largest.ge(floor) / (ties * largest.clamp_min(floor));
            return [x.mul(perChannel).mul_(atLargest), null!]; // none for the axis
        }
    }
}
