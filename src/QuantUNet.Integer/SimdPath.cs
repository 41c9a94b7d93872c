namespace QuantUNet.Integer;

/// <summary>Which instruction set the engine's kernel uses. Every path computes the same integers.</summary>
public enum SimdPath
{
    /// <summary>The widest one this machine has.</summary>
    Auto,

    /// <summary>AVX-512BW, 16 output channels a vector.</summary>
    Avx512,

    /// <summary>AVX2, 8 output channels a vector.</summary>
    Avx2,

    /// <summary>Plain C#, for machines without either (and as a cross-check).</summary>
    Scalar,
}
