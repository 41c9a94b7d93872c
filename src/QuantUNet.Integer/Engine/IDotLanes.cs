namespace QuantUNet.Integer.Engine;

/// <summary>
/// The vector operations of the dot-product kernel, one implementation per instruction set, so that
/// <see cref="DotKernel"/> is written once and compiled for each (the JIT specialises a generic method
/// for every struct type argument and inlines these static calls).
/// A vector holds <see cref="Count"/> int32 accumulators, one per output channel. A step multiplies
/// 4 unsigned input bytes, broadcast to every lane, with each lane's 4 signed weight bytes.
/// </summary>
internal unsafe interface IDotLanes<TVector> where TVector : struct
{
    /// <summary>Output channels computed at once.</summary>
    static abstract int Count { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Load(int* source);

    static abstract void Store(TVector value, int* destination);

    /// <summary><see cref="Count"/> lanes of 4 signed weight bytes.</summary>
    static abstract TVector LoadWeights(sbyte* source);

    /// <summary>4 unsigned input bytes repeated in every lane (an unaligned read).</summary>
    static abstract TVector Broadcast(byte* source);

    /// <summary>The step's products as partial sums: two 16-bit sums of two products per lane (SIMD), or one sum.</summary>
    static abstract TVector MultiplyAdd(TVector activations, TVector weights);

    /// <summary>Adds partial sums; the caller bounds how many so that 16-bit lanes cannot overflow.</summary>
    static abstract TVector AddPartial(TVector sum, TVector partial);

    /// <summary>Adds partial sums, widened to 32 bits, to the accumulators.</summary>
    static abstract TVector Widen(TVector accumulators, TVector partial);
}
