namespace QuantUNet.Data.Tests;

/// <summary>Masks drawn as text, one string a row, '1' or '#' for foreground, so hand-computed cases stay readable.</summary>
internal static class Masks
{
    public static byte[] Parse(params string[] rows)
    {
        int width = rows[0].Length;
        if (rows.Any(r => r.Length != width))
            throw new ArgumentException("Mask rows differ in length.");
        return [.. rows.SelectMany(r => r).Select(c => c is '1' or '#' ? (byte)1 : (byte)0)];
    }

    /// <summary>An all-background mask with foreground at the listed (row, column) pixels.</summary>
    public static byte[] Points(int height, int width, params (int Row, int Column)[] points)
    {
        var mask = new byte[height * width];
        foreach (var (row, column) in points)
            mask[row * width + column] = 1;
        return mask;
    }
}
