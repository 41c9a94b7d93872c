namespace QuantUNet.Data;

/// <summary>
/// Decoded image pixels in the layout <see cref="SegmentationSample.Image"/> uses:
/// planar (channel-major, CHW) floats in [0, 1].
/// </summary>
public sealed record PlanarImage(int Channels, int Height, int Width, float[] Pixels);
