using System.Numerics;

namespace QuantUNet.Data;

/// <summary>
/// The one rule that turns a mask's levels into foreground (1) and background (0), for mask files
/// (<see cref="ImageFile.ReadMask"/>) and the ML.NET mask column alike: a level is foreground when it lies above half
/// the mask's full scale. The full scale is the level type's (255 for 8-bit files, 65535 for 16-bit ones, both read at
/// their own depth), except that a mask whose largest level is at most 1 is a 0/1 label map, full scale 1, so every
/// non-zero level counts. JPEG's lossy compression spreads a 0/1 map's levels to 0..3 or so, so a lossy mask whose
/// largest level is at most <see cref="LossyLabelMapLargest"/> is read as a 0/1 map too (each level rounded to 0 or 1).
/// </summary>
public static class MaskBinarisation
{
    /// <summary>The largest level of a lossy (JPEG) mask still read as a 0/1 map: an eighth of 255, far above JPEG's ringing, far below a 0/255 mask's foreground.</summary>
    public const int LossyLabelMapLargest = 31;

    /// <summary>Writes 1 into <paramref name="mask"/> where <paramref name="levels"/> is foreground by the rule above, 0 elsewhere.</summary>
    /// <param name="fullScale">The level type's full scale: 255 for bytes and 8-bit files, 65535 for 16-bit files.</param>
    /// <param name="lossy">Whether the levels come from a lossy (JPEG) file.</param>
    /// <returns>Whether any level was non-zero: with an empty <paramref name="mask"/>, the rule turned data into nothing.</returns>
    /// <param name="levels">The mask's levels, one a pixel.</param>
    /// <param name="mask">Receives 0 or 1 a pixel; as long as <paramref name="levels"/>.</param>
    public static bool Binarise<T>(ReadOnlySpan<T> levels, T fullScale, Span<byte> mask, bool lossy = false) where T : INumber<T>
    {
        if (mask.Length != levels.Length)
            throw new ArgumentException($"{levels.Length} levels for a mask of {mask.Length} pixels.", nameof(mask));
        T largest = T.Zero;
        foreach (var level in levels)
            largest = T.Max(largest, level);
        T labelMapLargest = lossy ? T.CreateTruncating(LossyLabelMapLargest) : T.One;
        double half = double.CreateTruncating(largest <= labelMapLargest ? T.One : fullScale) / 2;
        for (int i = 0; i < levels.Length; i++)
            mask[i] = double.CreateTruncating(levels[i]) > half ? (byte)1 : (byte)0;
        return largest > T.Zero;
    }
}
