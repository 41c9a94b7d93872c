using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantUNet.Integer.Engine;

/// <summary>AVX2: 8 output channels a vector; vpmaddubsw (u8 x s8 pairs to s16), vpmaddwd to widen.</summary>
internal readonly unsafe struct Avx2Lanes : IDotLanes<Vector256<int>>
{
    public static int Count => 8;
    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(int* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> value, int* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadWeights(sbyte* source) => Vector256.Load((int*)source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Broadcast(byte* source) => Vector256.Create(Unsafe.ReadUnaligned<int>(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAdd(Vector256<int> activations, Vector256<int> weights) =>
        Avx2.MultiplyAddAdjacent(activations.AsByte(), weights.AsSByte()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AddPartial(Vector256<int> sum, Vector256<int> partial) =>
        Avx2.Add(sum.AsInt16(), partial.AsInt16()).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Widen(Vector256<int> accumulators, Vector256<int> partial) =>
        accumulators + Avx2.MultiplyAddAdjacent(partial.AsInt16(), Vector256<short>.One);
}
