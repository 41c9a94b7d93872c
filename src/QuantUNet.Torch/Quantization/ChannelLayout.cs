using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A contiguous tensor seen as [outer, channels, inner], channels along one axis (one for a per-tensor value), cut into
/// fixed work items of consecutive elements, each a sequence of runs of one channel: the loops of the fused kernels.
/// </summary>
internal sealed record ChannelLayout(long Length, long Inner, int Channels)
{
    /// <summary>Elements a work item covers: fixed, so that sums over items come out the same for any thread count.</summary>
    private const long ItemLength = 1 << 16;

    /// <summary>Work items: ranges of <see cref="ItemLength"/> consecutive elements.</summary>
    public int Items => (int)Math.Max(1, (Length + ItemLength - 1) / ItemLength);

    /// <summary>x with one channel per value of <paramref name="perChannel"/> (x's rank with one axis not 1, or a single value).</summary>
    public static ChannelLayout Of(Tensor x, Tensor perChannel)
    {
        int axis = Array.FindIndex(perChannel.shape, size => size != 1);
        return perChannel.numel() == 1 || axis < 0 ? new(x.numel(), x.numel(), 1) : Along(x, axis);
    }

    /// <summary>x with its channels along <paramref name="axis"/>.</summary>
    public static ChannelLayout Along(Tensor x, int axis) =>
        new(x.numel(), x.shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b), (int)x.shape[axis]);

    /// <summary>The runs of <paramref name="item"/>: [start, end) element ranges and the channel each belongs to.</summary>
    /// <remarks>A struct enumerator: weights with one channel every 4 elements (the transposed convolutions) have tens of thousands of runs.</remarks>
    public RunSequence Runs(int item) => new(this, item * ItemLength, Math.Min(Length, (item + 1) * ItemLength));

    /// <summary>The runs of one work item, enumerated without allocating.</summary>
    public readonly struct RunSequence(ChannelLayout layout, long start, long end)
    {
        /// <summary>The enumerator foreach uses.</summary>
        public RunEnumerator GetEnumerator() => new(layout, start, end);
    }

    /// <summary>Steps from run to run of one work item.</summary>
    public struct RunEnumerator(ChannelLayout layout, long start, long end)
    {
        private long next = start;

        /// <summary>The run the enumerator stands on.</summary>
        public (long Start, long End, int Channel) Current { get; private set; }

        /// <summary>Moves to the next run; false past the item's end.</summary>
        public bool MoveNext()
        {
            if (next >= end) return false;
            long block = next / layout.Inner;
            long runEnd = Math.Min(end, (block + 1) * layout.Inner);
            Current = (next, runEnd, (int)(block % layout.Channels));
            next = runEnd;
            return true;
        }
    }

    /// <summary>As many threads as TorchSharp uses, at most one an item.</summary>
    public ParallelOptions Parallelism() => new() { MaxDegreeOfParallelism = Math.Max(1, Math.Min(Items, get_num_threads())) };
}

/// <summary>Direct access to a tensor's memory, for the fused kernels.</summary>
internal static class TensorMemory
{
    /// <summary>Whether the kernels can read <paramref name="x"/> in place: float32 on the CPU.</summary>
    public static bool IsCpuFloat32(Tensor x) => x.device_type == TorchSharp.DeviceType.CPU && x.dtype == ScalarType.Float32;

    /// <summary>
    /// The address of the first float of a contiguous float32 tensor, as an integer (a lambda may not capture a pointer).
    /// Valid while the tensor lives.
    /// </summary>
    public static nint Address(Tensor t)
    {
        using var storage = t.storage<float>();
        return storage.data_ptr() + (nint)(t.storage_offset() * sizeof(float));
    }
}
