using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// <see cref="IntQuant.FakeQuantize"/> on CPU float32 tensors as one pass forward and one backward, instead of the
/// seven and four passes of the composed tensor ops: the quantizers run on every activation and weight of every
/// step, and those passes were most of what a QAT step cost beyond a float step (docs/training-recipe.md, "Speed").
/// The forward computes what the composed ops compute, bit for bit: x / s and q * s are single float32 operations,
/// and <see cref="Vector256.Round(Vector256{float})"/> rounds half to even as <c>torch.round</c> does. The backward
/// recomputes x / s from the saved input rather than keeping a residual tensor (one tensor fewer written and held);
/// its sums accumulate in float64 (torch sums in float32, so they differ from the composed backward in the last bits).
/// </summary>
internal static unsafe class FakeQuantKernel
{
    /// <summary>Floats a lane accumulator sums before it is added into float64.</summary>
    private const long FlushLength = 1 << 10;

    /// <summary>
    /// Whether the kernel takes x and its step: float32 on the CPU, the step one value or one per channel along one axis
    /// with each channel's runs at least a vector long (the transposed convolutions' 2x2 weights, runs of 4, are left to
    /// the composed ops when their thresholds are learned; with max-abs thresholds they go through FoldedWeightKernel).
    /// </summary>
    public static bool Supports(Tensor x, Tensor scale) =>
        TensorMemory.IsCpuFloat32(x) && TensorMemory.IsCpuFloat32(scale)
        && (scale.numel() == 1 || (scale.dim() == x.dim() && scale.shape.Count(size => size != 1) == 1
            && ChannelLayout.Of(x, scale).Inner >= Vector256<float>.Count));

    /// <summary>s * clamp(round(x / s), low, high), and whether any value clamped.</summary>
    public static (Tensor Output, bool Clamped) Forward(Tensor x, Tensor scale, float low, float high)
    {
        x = x.contiguous();
        var layout = ChannelLayout.Of(x, scale);
        var steps = Steps(scale);
        var output = empty_like(x);
        nint input = TensorMemory.Address(x), y = TensorMemory.Address(output);
        var clamped = new bool[layout.Items];
        Parallel.For(0, layout.Items, layout.Parallelism(), item =>
        {
            bool any = false;
            foreach (var (start, end, channel) in layout.Runs(item))
                any |= ForwardRun((float*)input, (float*)y, start, end, steps[channel], low, high);
            clamped[item] = any;
        });
        GC.KeepAlive(x); // a contiguous copy's memory must outlive the loops that read it through a pointer
        return (output, clamped.Contains(true));
    }

    /// <summary>
    /// The gradients for x, the step (summed to its shape) and the upper bound (a scalar), from the forward's input x:
    /// dx = g where x / s rounds inside [low, high], else 0; ds = sum(g w) with w = q - x/s in range and q where clamped;
    /// dmax = sum over the clamped of g q, times s, over <paramref name="high"/>. When nothing clamped, dx is g itself.
    /// </summary>
    public static (Tensor GradX, Tensor GradScale, Tensor GradMax) Backward(Tensor gradient, Tensor x, Tensor scale, float low, float high, bool clamped)
    {
        gradient = gradient.contiguous();
        x = x.contiguous();
        var layout = ChannelLayout.Of(x, scale);
        var steps = Steps(scale);
        var gradX = clamped ? empty_like(gradient) : gradient.alias();
        nint g = TensorMemory.Address(gradient), input = TensorMemory.Address(x), dx = clamped ? TensorMemory.Address(gradX) : 0;
        int channels = steps.Length;
        // Per item and channel: sum(g w) and its clamped part, sum(g q).
        var total = new double[layout.Items * channels];
        var clampedPart = new double[layout.Items * channels];
        Parallel.For(0, layout.Items, layout.Parallelism(), item =>
        {
            foreach (var (start, end, channel) in layout.Runs(item))
            {
                var (all, outside) = BackwardRun((float*)g, (float*)input, (float*)dx, start, end, steps[channel], low, high);
                total[item * channels + channel] += all;
                clampedPart[item * channels + channel] += outside;
            }
        });
        GC.KeepAlive(gradient);
        GC.KeepAlive(x);
        var stepGradient = new float[channels];
        double maxGradient = 0;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, outside = 0;
            for (int item = 0; item < layout.Items; item++) (sum, outside) = (sum + total[item * channels + c], outside + clampedPart[item * channels + c]);
            stepGradient[c] = (float)sum;
            maxGradient += outside * steps[c];
        }
        return (gradX, tensor(stepGradient).reshape(scale.shape), tensor((float)(maxGradient / high)));
    }

    private static bool ForwardRun(float* x, float* y, long start, long end, float step, float low, float high)
    {
        var (s, lo, hi) = (Vector256.Create(step), Vector256.Create(low), Vector256.Create(high));
        var outside = Vector256<float>.Zero;
        long i = start;
        for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
        {
            var (_, q, inRange) = Code(Vector256.Load(x + i), s, lo, hi);
            (q * s).Store(y + i);
            outside |= ~inRange;
        }
        bool clamped = outside != Vector256<float>.Zero;
        for (; i < end; i++)
        {
            var (_, q, inRange) = Code(x[i], step, low, high);
            y[i] = q * step;
            clamped |= !inRange;
        }
        return clamped;
    }

    /// <summary>Writes dx (unless null: nothing clamped) and returns sum(g w) and sum over the clamped of g q.</summary>
    private static (double All, double Clamped) BackwardRun(float* g, float* x, float* dx, long start, long end, float step, float low, float high)
    {
        var (s, lo, hi) = (Vector256.Create(step), Vector256.Create(low), Vector256.Create(high));
        double all = 0, clamped = 0;
        var (sumAll, sumClamped) = (Vector256<float>.Zero, Vector256<float>.Zero);
        long i = start, flushAt = start + FlushLength;
        for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
        {
            var gradient = Vector256.Load(g + i);
            var (u, q, inRange) = Code(Vector256.Load(x + i), s, lo, hi);
            var clampedProduct = Vector256.AndNot(gradient * q, inRange);
            sumAll += (gradient * (q - u) & inRange) + clampedProduct;
            sumClamped += clampedProduct;
            if (dx != null) (gradient & inRange).Store(dx + i);
            if (i >= flushAt)
            {
                (all, clamped) = (all + Vector256.Sum(sumAll), clamped + Vector256.Sum(sumClamped));
                (sumAll, sumClamped, flushAt) = (Vector256<float>.Zero, Vector256<float>.Zero, i + FlushLength);
            }
        }
        (all, clamped) = (all + Vector256.Sum(sumAll), clamped + Vector256.Sum(sumClamped));
        for (; i < end; i++)
        {
            var (u, q, inRange) = Code(x[i], step, low, high);
            all += g[i] * (inRange ? q - u : q);
            if (!inRange) clamped += g[i] * q;
            if (dx != null) dx[i] = inRange ? g[i] : 0;
        }
        return (all, clamped);
    }

    /// <summary>
    /// u = x / s and its code q: u rounded half to even, clamped to [low, high]; in range where the clamp changed nothing.
    /// The one definition the forwards and the backwards' recomputations share (here and in <see cref="FoldedWeightKernel"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> U, Vector256<float> Q, Vector256<float> InRange) Code(Vector256<float> x, Vector256<float> step, Vector256<float> low, Vector256<float> high)
    {
        var u = x / step;
        var rounded = Vector256.Round(u);
        var q = Vector256.Min(Vector256.Max(rounded, low), high);
        return (u, q, Vector256.Equals(rounded, q));
    }

    /// <summary>The same for one value (the tail of a run).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float U, float Q, bool InRange) Code(float x, float step, float low, float high)
    {
        float u = x / step, rounded = MathF.Round(u), q = Math.Clamp(rounded, low, high);
        return (u, q, rounded == q);
    }

    private static float[] Steps(Tensor scale) => scale.contiguous().data<float>().ToArray();
}
