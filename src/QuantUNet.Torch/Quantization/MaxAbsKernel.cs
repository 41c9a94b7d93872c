using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// <see cref="MaxAbsThreshold"/>'s per-channel max |x| and its gradient on CPU float32 weights: the forward reads x twice
/// (the maxima, then where they sit) and writes no |x| tensor; the backward writes the few shares into zeros without
/// reading x again. The composed ops made six passes over every weight of every step. The values and the gradient are
/// the composed ones exactly (the same float32 operations on the same elements).
/// </summary>
internal static unsafe class MaxAbsKernel
{
    /// <summary>
    /// Whether the kernel takes x: CPU float32, channels along any axis. Runs shorter than a vector (the transposed
    /// convolutions' 2x2 weights, runs of 4) go through the scalar tails.
    /// </summary>
    public static bool Supports(Tensor x) => TensorMemory.IsCpuFloat32(x);

    /// <summary>Each channel's largest magnitude and the elements that have it: what the gradient needs.</summary>
    /// <param name="Largest">max |x| of each channel.</param>
    /// <param name="AtLargest">The flat index, channel and value of every element whose magnitude is its channel's largest.</param>
    /// <param name="Shape">x's shape.</param>
    public sealed record Maxima(float[] Largest, List<(long Index, int Channel, float Value)> AtLargest, long[] Shape);

    /// <summary>max |x| per channel along <paramref name="channelAxis"/>, and where those maxima sit.</summary>
    public static Maxima Find(Tensor x, int channelAxis)
    {
        x = x.contiguous();
        var layout = ChannelLayout.Along(x, channelAxis);
        nint values = TensorMemory.Address(x);
        var largest = LargestMagnitudes(values, layout);
        var maxima = new Maxima(largest, AtLargest((float*)values, layout, largest), x.shape);
        GC.KeepAlive(x); // a contiguous copy's memory must outlive the reads through a pointer
        return maxima;
    }

    /// <summary>The maxima as a tensor shaped [1, .., C, .., 1] along <paramref name="channelAxis"/>.</summary>
    public static Tensor Values(Maxima maxima, int channelAxis)
    {
        var shape = Enumerable.Repeat(1L, maxima.Shape.Length).ToArray();
        shape[channelAxis] = maxima.Largest.Length;
        return tensor(maxima.Largest).reshape(shape);
    }

    /// <summary>
    /// The gradient for x: at each of a channel's largest magnitudes x * g / (ties * largest), so sign(x) g split evenly
    /// among the ties; 0 elsewhere, and in a channel whose largest is below <paramref name="floor"/> (held at the floor).
    /// </summary>
    public static Tensor Gradient(Maxima maxima, Tensor gradient, float floor)
    {
        var upstream = gradient.contiguous().data<float>().ToArray();
        var ties = new int[maxima.Largest.Length];
        foreach (var (_, channel, _) in maxima.AtLargest) ties[channel]++;
        var result = zeros(maxima.Shape);
        var output = (float*)TensorMemory.Address(result);
        foreach (var (index, channel, value) in maxima.AtLargest)
        {
            if (maxima.Largest[channel] < floor) continue;
            float perChannel = upstream[channel] / (ties[channel] * maxima.Largest[channel]);
            output[index] = value * perChannel;
        }
        return result;
    }

    private static List<(long Index, int Channel, float Value)> AtLargest(float* x, ChannelLayout layout, float[] maxima)
    {
        var found = new List<(long, int, float)>();
        for (int item = 0; item < layout.Items; item++)
            foreach (var (start, end, channel) in layout.Runs(item))
            {
                var largest = Vector256.Create(maxima[channel]);
                for (long i = start; i < end;)
                {
                    // A whole vector with no maximum in it is skipped; a vector with one, or the run's tail, is looked at value by value.
                    if (i + Vector256<float>.Count <= end && !Vector256.EqualsAny(Vector256.Abs(Vector256.Load(x + i)), largest))
                    {
                        i += Vector256<float>.Count;
                        continue;
                    }
                    for (long blockEnd = Math.Min(end, i + Vector256<float>.Count); i < blockEnd; i++)
                        if (MathF.Abs(x[i]) == maxima[channel]) found.Add((i, channel, x[i]));
                }
            }
        return found;
    }

    /// <summary>max |x| of each channel of the contiguous float32 tensor at <paramref name="x"/>, in one read.</summary>
    public static float[] LargestMagnitudes(nint x, ChannelLayout layout)
    {
        var perItem = new float[layout.Items * layout.Channels];
        Parallel.For(0, layout.Items, layout.Parallelism(), item =>
        {
            foreach (var (start, end, channel) in layout.Runs(item))
                perItem[item * layout.Channels + channel] = Math.Max(perItem[item * layout.Channels + channel], LargestMagnitude((float*)x, start, end));
        });
        var largest = new float[layout.Channels];
        for (int item = 0; item < layout.Items; item++)
            for (int c = 0; c < layout.Channels; c++) largest[c] = Math.Max(largest[c], perItem[item * layout.Channels + c]);
        return largest;
    }

    private static float LargestMagnitude(float* x, long start, long end)
    {
        var largest = Vector256<float>.Zero;
        long i = start;
        for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
            largest = Vector256.Max(largest, Vector256.Abs(Vector256.Load(x + i)));
        float result = 0;
        for (int lane = 0; lane < Vector256<float>.Count; lane++) result = Math.Max(result, largest[lane]);
        for (; i < end; i++) result = Math.Max(result, MathF.Abs(x[i]));
        return result;
    }
}
