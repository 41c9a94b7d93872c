namespace QuantUNet.Data;

/// <summary>
/// One image slice and its binary mask, as the models consume them: pixels planar (channel-major,
/// CHW) and normalised to [0, 1]; mask row-major, one byte a pixel, 1 for foreground and 0 for background.
/// </summary>
/// <param name="Name">Where the slice came from (file name or generator index), for messages and reports.</param>
/// <param name="GroupId">The patient or volume the slice belongs to; splits never cut a group.</param>
/// <param name="Channels">Channels of <paramref name="Image"/>: 1 (grey) or 3 (RGB).</param>
/// <param name="Height">Rows, in pixels.</param>
/// <param name="Width">Columns, in pixels.</param>
/// <param name="Image">Channels x Height x Width pixels in [0, 1], planar.</param>
/// <param name="Mask">Height x Width bytes, 1 for foreground, 0 for background.</param>
public sealed record SegmentationSample(
    string Name,
    string GroupId,
    int Channels,
    int Height,
    int Width,
    float[] Image,
    byte[] Mask)
{
    /// <summary>Checks that the arrays match the stated shape, naming the sample when they do not.</summary>
    public SegmentationSample Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0)
            throw new InvalidDataException($"{Name}: image size {Channels}x{Height}x{Width} is empty.");
        if (Image.Length != Channels * Height * Width)
            throw new InvalidDataException($"{Name}: {Image.Length} pixel values for a {Channels}x{Height}x{Width} image.");
        if (Mask.Length != Height * Width)
            throw new InvalidDataException($"{Name}: mask has {Mask.Length} pixels, the image {Height}x{Width}.");
        return this;
    }

    /// <summary>Whether any mask pixel is foreground.</summary>
    public bool HasForeground => Array.IndexOf(Mask, (byte)1) >= 0;
}
