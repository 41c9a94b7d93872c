using System.Runtime.CompilerServices;

namespace QuantUNet.Integer.Engine;

/// <summary>
/// The portable path: one output channel a "vector", the 4 bytes of a step packed in an int and
/// multiplied one by one in 32 bits (so partial sums never need widening).
/// </summary>
internal readonly unsafe struct ScalarLanes : IDotLanes<int>
{
    public static int Count => 1;
    public static int Zero => 0;

    public static int Load(int* source) => *source;

    public static void Store(int value, int* destination) => *destination = value;

    public static int LoadWeights(sbyte* source) => Unsafe.ReadUnaligned<int>(source);

    public static int Broadcast(byte* source) => Unsafe.ReadUnaligned<int>(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MultiplyAdd(int activations, int weights) =>
        (byte)activations * (sbyte)weights
        + (byte)(activations >> 8) * (sbyte)(weights >> 8)
        + (byte)(activations >> 16) * (sbyte)(weights >> 16)
        + (byte)(activations >> 24) * (sbyte)(weights >> 24);

    public static int AddPartial(int sum, int partial) => sum + partial;

    public static int Widen(int accumulators, int partial) => accumulators + partial;
}
