using System.Runtime.CompilerServices;

namespace QuantUNet.Integer.Engine;

/// <summary>
/// One call of the kernel: a run of output pixels whose inputs are <see cref="InputPixelStride"/> bytes
/// apart, every output channel. Each pixel's accumulator is bias + the sum over steps of the 4 input
/// bytes at (pixel input + Offsets[step]) times the step's 4 weight bytes of each channel.
/// </summary>
internal unsafe struct DotTask
{
    public byte* Input;
    public int InputPixelStride;

    /// <summary>Pixels wanted; they are computed in groups of <see cref="DotKernel.PixelGroup"/>, so the last group may read and write past them.</summary>
    public int Pixels;

    /// <summary>Byte offset of each step's 4 inputs from a pixel's first input byte.</summary>
    public int* Offsets;

    public int Steps;

    /// <summary>Steps whose 16-bit partial sums can be added before they must be widened.</summary>
    public int FlushInterval;

    /// <summary>[block][step][lane][4 bytes], lanes = the instruction set's channel count.</summary>
    public sbyte* Weights;

    /// <summary>Padded to whole blocks.</summary>
    public int* Bias;

    public int Blocks;
    public int* Output;
    public int OutputPixelStride;
}

/// <summary>
/// The integer dot-product kernel behind every layer: 4 output pixels x one block of output channels
/// held in registers, each weight vector loaded once for the 4 pixels. On SIMD paths the u8 x s8
/// products are summed in 16-bit lanes for as many steps as cannot overflow, then widened to int32.
/// </summary>
internal static unsafe class DotKernel
{
    public const int PixelGroup = 4;

    // Fully optimised from the first call: tiered compilation would run the early images through unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TLanes, TVector>(in DotTask task)
        where TLanes : struct, IDotLanes<TVector>
        where TVector : struct
    {
        int lanes = TLanes.Count, stepBytes = lanes * 4, steps = task.Steps, flush = task.FlushInterval;
        int* offsets = task.Offsets;
        for (int x = 0; x < task.Pixels; x += PixelGroup)
        {
            byte* p0 = task.Input + (long)x * task.InputPixelStride;
            byte* p1 = p0 + task.InputPixelStride, p2 = p1 + task.InputPixelStride, p3 = p2 + task.InputPixelStride;
            int* output = task.Output + (long)x * task.OutputPixelStride;
            for (int block = 0; block < task.Blocks; block++)
            {
                sbyte* weights = task.Weights + (long)block * steps * stepBytes;
                TVector a0 = TLanes.Load(task.Bias + block * lanes), a1 = a0, a2 = a0, a3 = a0;
                for (int start = 0; start < steps; start += flush)
                {
                    int end = Math.Min(start + flush, steps);
                    TVector s0 = TLanes.Zero, s1 = s0, s2 = s0, s3 = s0;
                    for (int step = start; step < end; step++)
                    {
                        int offset = offsets[step];
                        TVector w = TLanes.LoadWeights(weights + step * stepBytes);
                        s0 = TLanes.AddPartial(s0, TLanes.MultiplyAdd(TLanes.Broadcast(p0 + offset), w));
                        s1 = TLanes.AddPartial(s1, TLanes.MultiplyAdd(TLanes.Broadcast(p1 + offset), w));
                        s2 = TLanes.AddPartial(s2, TLanes.MultiplyAdd(TLanes.Broadcast(p2 + offset), w));
                        s3 = TLanes.AddPartial(s3, TLanes.MultiplyAdd(TLanes.Broadcast(p3 + offset), w));
                    }
                    a0 = TLanes.Widen(a0, s0);
                    a1 = TLanes.Widen(a1, s1);
                    a2 = TLanes.Widen(a2, s2);
                    a3 = TLanes.Widen(a3, s3);
                }
                int* o = output + block * lanes;
                TLanes.Store(a0, o);
                TLanes.Store(a1, o + task.OutputPixelStride);
                TLanes.Store(a2, o + 2 * task.OutputPixelStride);
                TLanes.Store(a3, o + 3 * task.OutputPixelStride);
            }
        }
    }
}
