namespace QuantUNet.Integer;

/// <summary>How an <see cref="IntegerEngine"/> runs.</summary>
public sealed record IntegerEngineOptions
{
    /// <summary>The instruction set; default <see cref="SimdPath.Auto"/>, the widest this CPU supports. All paths give the same bits.</summary>
    public SimdPath Simd { get; init; } = SimdPath.Auto;

    /// <summary>Images scored at once by the batch methods; 0 for one per core.</summary>
    public int Threads { get; init; }
}
