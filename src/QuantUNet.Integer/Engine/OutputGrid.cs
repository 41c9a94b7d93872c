namespace QuantUNet.Integer.Engine;

/// <summary>
/// Where the accumulators of one row group lie in scratch and which output pixels they are. A
/// convolution's group is [row][pixel] at the input's grid; the upsampler's is [pixel][kernel position],
/// kernel position (dy, dx) of input pixel (y, x) being output pixel (2y + dy, 2x + dx).
/// </summary>
internal readonly struct OutputGrid(int firstRow, int width, int rowStride, int pixelStride, bool upsampler, int rows)
{
    public int Count => upsampler ? 4 * width : rows * width;

    /// <summary>The output row and column of entry <paramref name="entry"/>, and its offset in scratch.</summary>
    public (int Row, int Column, int Offset) this[int entry]
    {
        get
        {
            if (upsampler)
            {
                int x = entry >> 2, position = entry & 3;
                return (2 * firstRow + (position >> 1), 2 * x + (position & 1), entry * pixelStride);
            }
            var (row, column) = Math.DivRem(entry, width);
            return (firstRow + row, column, row * rowStride + column * pixelStride);
        }
    }
}
