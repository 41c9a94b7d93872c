using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A layer's whole weight path on CPU float32 convolution weights: fold the per-channel gain in (w g, a BatchNorm
/// folded with its running statistics; 1 without one), find each channel's threshold T = max |w g| (max-abs scaling),
/// and quantize at s = T / N(b). Composed, that was a fold product, the max-abs kernel and the quantize kernel forward,
/// and backward their gradients, the max's few shares added to the quantizer's gradient over the whole tensor, and the
/// fold's two products and a sum: some seventeen passes over every weight of every step, each with its tensor to
/// allocate. Here: two reads and one write forward, one read of each operand and one write backward.
/// <para>
/// The forward is the composed ops' bit for bit: |fl(w g)| is fl(|w| |g|), and rounding is monotone, so a channel's
/// max |w g| is fl(max |w| |g|); each value is folded, divided, rounded half to even, clamped and multiplied back in
/// float32 as they are. The gradients are the composed ones (autograd's for the fold product, the max shared among its
/// ties, <see cref="IntQuant"/>'s straight-through rules), summed in float64 over fixed work items.
/// </para>
/// </summary>
internal static unsafe class FoldedWeightKernel
{
    /// <summary>Floats a lane accumulator sums before it is added into float64.</summary>
    private const long FlushLength = 1 << 10;

    /// <summary>What the backward needs from the forward.</summary>
    /// <param name="Gains">The fold's gain of each channel.</param>
    /// <param name="Largest">max |w g| of each channel, before the floor.</param>
    /// <param name="Thresholds">The thresholds: <paramref name="Largest"/> held at the floor.</param>
    /// <param name="Steps">T / N(b) of each channel.</param>
    /// <param name="AtLargest">The flat index, channel and folded value of every weight whose |w g| is its channel's largest.</param>
    /// <param name="Bound">N(b), the code bound the steps were divided by.</param>
    public sealed record Folded(float[] Gains, float[] Largest, float[] Thresholds, float[] Steps,
        List<(long Index, int Channel, float Value)> AtLargest, float Bound);

    /// <summary>Whether the kernel takes these weights: what <see cref="MaxAbsKernel"/> takes, with a CPU float32 gain if any.</summary>
    public static bool Supports(Tensor weight, Tensor? gain) =>
        MaxAbsKernel.Supports(weight) && (gain is null || TensorMemory.IsCpuFloat32(gain));

    /// <summary>The quantized folded weights s clamp(round(w g / s), low, high), and the state the backward needs.</summary>
    /// <param name="weight">The float weights, channels along <paramref name="channelAxis"/>.</param>
    /// <param name="channelAxis">The output-channel axis.</param>
    /// <param name="gains">The fold's gain of each channel.</param>
    /// <param name="bound">N(b), the float the threshold is divided by.</param>
    /// <param name="low">The smallest code.</param>
    /// <param name="high">The largest code.</param>
    /// <param name="floor">The smallest threshold.</param>
    public static (Tensor Value, Folded State) Forward(Tensor weight, int channelAxis, float[] gains, float bound, float low, float high, float floor)
    {
        weight = weight.contiguous();
        var layout = ChannelLayout.Along(weight, channelAxis);
        nint w = TensorMemory.Address(weight);
        var largestWeights = MaxAbsKernel.LargestMagnitudes(w, layout);
        var largest = new float[layout.Channels];
        var thresholds = new float[layout.Channels];
        var steps = new float[layout.Channels];
        for (int c = 0; c < layout.Channels; c++)
        {
            largest[c] = largestWeights[c] * MathF.Abs(gains[c]);
            thresholds[c] = Math.Max(largest[c], floor);
            steps[c] = thresholds[c] / bound;
        }
        var output = empty_like(weight);
        nint y = TensorMemory.Address(output);
        var found = new List<(long, int, float)>[layout.Items];
        Parallel.For(0, layout.Items, layout.Parallelism(), item =>
        {
            found[item] = [];
            foreach (var (start, end, channel) in layout.Runs(item))
                ForwardRun((float*)w, (float*)y, start, end, channel, gains[channel], steps[channel], largest[channel], low, high, found[item]);
        });
        GC.KeepAlive(weight); // a contiguous copy's memory must outlive the loops that read it through a pointer
        return (output, new Folded(gains, largest, thresholds, steps, found.SelectMany(list => list).ToList(), bound));
    }

    /// <summary>
    /// The gradients for the weights, the gains and the bound N(b), from the output's gradient and the steps' gradient
    /// from elsewhere (the bias path's; null for none). The steps' whole gradient is the quantizer's sum(g (q - u)) (g q
    /// where clamped) plus that; the threshold's is it over N(b), shared among each channel's largest |w g| with their
    /// sign; N(b) takes -T / N(b)^2 of it and, for clamped values, sum(g q) s / high, as the composed ops give.
    /// </summary>
    public static (Tensor GradWeight, Tensor GradGain, Tensor GradBound) Backward(Tensor gradient, float[]? stepGradient, Tensor weight, int channelAxis, Folded state, float low, float high, float floor)
    {
        gradient = gradient.contiguous();
        weight = weight.contiguous();
        var layout = ChannelLayout.Along(weight, channelAxis);
        int channels = layout.Channels;
        var gradWeight = empty_like(weight);
        nint g = TensorMemory.Address(gradient), w = TensorMemory.Address(weight), dw = TensorMemory.Address(gradWeight);
        // Per item and channel: sum(g w~) with w~ = q - u in range and q where clamped, its clamped part sum(g q), and sum(g' w) for the gain.
        var stepSums = new double[layout.Items * channels];
        var clampedSums = new double[layout.Items * channels];
        var gainSums = new double[layout.Items * channels];
        Parallel.For(0, layout.Items, layout.Parallelism(), item =>
        {
            foreach (var (start, end, channel) in layout.Runs(item))
            {
                var (all, outside, gain) = BackwardRun((float*)g, (float*)w, (float*)dw, start, end, state.Gains[channel], state.Steps[channel], low, high);
                stepSums[item * channels + channel] += all;
                clampedSums[item * channels + channel] += outside;
                gainSums[item * channels + channel] += gain;
            }
        });
        var thresholdGradient = new float[channels];
        var gainGradient = new double[channels];
        double boundGradient = 0, clampedGradient = 0;
        for (int c = 0; c < channels; c++)
        {
            double steps = 0, outside = 0;
            for (int item = 0; item < layout.Items; item++)
            {
                steps += stepSums[item * channels + c];
                outside += clampedSums[item * channels + c];
                gainGradient[c] += gainSums[item * channels + c];
            }
            // As autograd adds the two paths' float32 gradients, then divides by N(b) (s = T / N(b)).
            float step = (float)steps + (stepGradient?[c] ?? 0);
            if (state.Largest[c] >= floor) thresholdGradient[c] = step / state.Bound;
            boundGradient -= (double)step * state.Thresholds[c] / ((double)state.Bound * state.Bound);
            clampedGradient += outside * state.Steps[c];
        }
        // The max's share: at each of a channel's largest |w g|, (w g) dT / (ties T) on the folded value, times g for w.
        var ties = new int[channels];
        foreach (var (_, channel, _) in state.AtLargest) ties[channel]++;
        var output = (float*)dw;
        foreach (var (index, channel, folded) in state.AtLargest)
        {
            if (state.Largest[channel] < floor) continue;
            float share = folded * (thresholdGradient[channel] / (ties[channel] * state.Largest[channel]));
            output[index] += share * state.Gains[channel];
            gainGradient[channel] += (double)share * ((float*)w)[index];
        }
        GC.KeepAlive(gradient);
        GC.KeepAlive(weight);
        return (gradWeight, tensor(gainGradient.Select(v => (float)v).ToArray()), tensor((float)(boundGradient + clampedGradient / high)));
    }

    private static void ForwardRun(float* w, float* y, long start, long end, int channel, float gain, float step, float largest, float low, float high, List<(long, int, float)> atLargest)
    {
        var (g, s, lo, hi, top) = (Vector256.Create(gain), Vector256.Create(step), Vector256.Create(low), Vector256.Create(high), Vector256.Create(largest));
        long i = start;
        for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
        {
            var folded = Vector256.Load(w + i) * g;
            var (_, q, _) = FakeQuantKernel.Code(folded, s, lo, hi);
            (q * s).Store(y + i);
            // A vector holding a channel's largest is looked at value by value: a few per channel.
            if (Vector256.EqualsAny(Vector256.Abs(folded), top))
                for (int lane = 0; lane < Vector256<float>.Count; lane++)
                    if (MathF.Abs(folded[lane]) == largest) atLargest.Add((i + lane, channel, folded[lane]));
        }
        for (; i < end; i++)
        {
            float folded = w[i] * gain;
            var (_, q, _) = FakeQuantKernel.Code(folded, step, low, high);
            y[i] = q * step;
            if (MathF.Abs(folded) == largest) atLargest.Add((i, channel, folded));
        }
    }

    /// <summary>Writes dw = g' gain, g' the gradient where the code is in range (else 0), and returns sum(g w~), its clamped part and sum(g' w).</summary>
    private static (double Step, double Clamped, double Gain) BackwardRun(float* g, float* w, float* dw, long start, long end, float gain, float step, float low, float high)
    {
        var (gv, s, lo, hi) = (Vector256.Create(gain), Vector256.Create(step), Vector256.Create(low), Vector256.Create(high));
        double all = 0, clamped = 0, gains = 0;
        var (sumAll, sumClamped, sumGain) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
        long i = start, flushAt = start + FlushLength;
        for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
        {
            var gradient = Vector256.Load(g + i);
            var weight = Vector256.Load(w + i);
            var (u, q, inRange) = FakeQuantKernel.Code(weight * gv, s, lo, hi);
            var clampedProduct = Vector256.AndNot(gradient * q, inRange);
            sumAll += (gradient * (q - u) & inRange) + clampedProduct;
            sumClamped += clampedProduct;
            var passed = gradient & inRange;
            (passed * gv).Store(dw + i);
            sumGain += passed * weight;
            if (i >= flushAt)
            {
                (all, clamped, gains) = (all + Vector256.Sum(sumAll), clamped + Vector256.Sum(sumClamped), gains + Vector256.Sum(sumGain));
                (sumAll, sumClamped, sumGain, flushAt) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, i + FlushLength);
            }
        }
        (all, clamped, gains) = (all + Vector256.Sum(sumAll), clamped + Vector256.Sum(sumClamped), gains + Vector256.Sum(sumGain));
        for (; i < end; i++)
        {
            var (u, q, inRange) = FakeQuantKernel.Code(w[i] * gain, step, low, high);
            all += g[i] * (inRange ? q - u : q);
            if (!inRange) clamped += g[i] * q;
            float passed = inRange ? g[i] : 0;
            dw[i] = passed * gain;
            gains += passed * w[i];
        }
        return (all, clamped, gains);
    }
}
