namespace QuantUNet.Integer;

/// <summary>What an integer model expects as input.</summary>
/// <param name="InputChannels">Image channels (planar, CHW).</param>
/// <param name="Normalization">How pixels are mapped to [0, 1] before the first quantizer.</param>
/// <param name="NominalHeight">The height the model was trained at, 0 if unknown; any multiple of the size multiple can be scored.</param>
/// <param name="NominalWidth">The width the model was trained at, 0 if unknown.</param>
public sealed record IntegerModelHeader(int InputChannels, PixelNormalization Normalization, int NominalHeight = 0, int NominalWidth = 0);
