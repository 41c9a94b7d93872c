namespace QuantUNet.Data;

/// <summary>A decoded mask in the layout <see cref="SegmentationSample.Mask"/> uses: row-major, one byte a pixel, 0 or 1.</summary>
public sealed record BinaryMask(int Height, int Width, byte[] Pixels);
