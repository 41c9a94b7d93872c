namespace QuantUNet.Data;

/// <summary>Nearest-neighbour resizing of 0/1 masks, so no new label values appear.</summary>
internal static class MaskResize
{
    public static byte[] Nearest(byte[] source, int height, int width, ImageSize size)
    {
        var target = new byte[size.Height * size.Width];
        for (int y = 0; y < size.Height; y++)
        {
            // Integer form of floor((y + 0.5) * height / size.Height): samples the source pixel under the target's centre.
            int sy = (2 * y + 1) * height / (2 * size.Height);
            for (int x = 0; x < size.Width; x++)
                target[y * size.Width + x] = source[sy * width + (2 * x + 1) * width / (2 * size.Width)];
        }
        return target;
    }
}
