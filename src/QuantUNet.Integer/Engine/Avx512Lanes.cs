using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantUNet.Integer.Engine;

/// <summary>AVX-512BW: 16 output channels a vector; vpmaddubsw (u8 x s8 pairs to s16), vpmaddwd to widen.</summary>
internal readonly unsafe struct Avx512Lanes : IDotLanes<Vector512<int>>
{
    public static int Count => 16;
    public static Vector512<int> Zero => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Load(int* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<int> value, int* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadWeights(sbyte* source) => Vector512.Load((int*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Broadcast(byte* source) => Vector512.Create(Unsafe.ReadUnaligned<int>(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MultiplyAdd(Vector512<int> activations, Vector512<int> weights) =>
        Avx512BW.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> AddPartial(Vector512<int> sum, Vector512<int> partial) =>
        Avx512BW.Add(sum.AsInt16(), partial.AsInt16()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Widen(Vector512<int> accumulators, Vector512<int> partial) =>
        accumulators + Avx512BW.MultiplyAddAdjacent(partial.AsInt16(), Vector512<short>.One);
}
