namespace QuantUNet.Integer;

/// <summary>
/// How image intensities are mapped to [0, 1] before the first layer's input quantizer (threshold 1,
/// N = 2^b - 1 codes). On 8-bit pixels both are exact integer operations.
/// </summary>
public enum PixelNormalization : byte
{
    /// <summary>x = p / 255, so the code is round_half_even(p * N / 255).</summary>
    UnitRange = 0,

    /// <summary>
    /// Each image channel is stretched by its own minimum and maximum: the code is
    /// round_half_even((p - min) * N / (max - min)); a constant channel gives code 0.
    /// </summary>
    PerImageMinMax = 1,
}
