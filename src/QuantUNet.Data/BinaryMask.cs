namespace QuantUNet.Data;

/// <summary>A decoded mask in the layout <see cref="SegmentationSample.Mask"/> uses: row-major, one byte a pixel, 0 or 1.</summary>
public sealed record BinaryMask(int Height, int Width, byte[] Pixels)
{
    /// <summary>
    /// Whether the file held non-zero levels that the binarisation rule (<see cref="MaskBinarisation"/>) turned into an
    /// empty mask, such as a multi-class label map (0, 1, 2, ...); worth a warning, since the user may have meant otherwise.
    /// </summary>
    public bool DataReadAsEmpty { get; init; }
}
