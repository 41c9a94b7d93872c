using QuantUNet.Integer;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet.Tests;

/// <summary>Saved QuantU-Nets built by hand, for tests that need a transformer but no training.</summary>
internal static class TinyModels
{
    public const int Size = 16;

    /// <summary>
    /// A quantized model in integer mode on 16x16 grey images, column "Image": one 1x1 convolution (foreground where the
    /// pixel is above about 0.39), with no TorchSharp weights.
    /// </summary>
    public static SegmentationModel Integer16()
    {
        var layer = new IntegerLayer
        {
            Name = "final", Kind = LayerKind.Conv1x1, InputChannels = 1, OutputChannels = 1, WeightBits = 4, ActivationBits = 8,
            InputScale = 1.0 / 255, WeightScales = [0.1], Weights = [3], Biases = [-300],
        };
        var integerModel = new IntegerModel(new IntegerModelHeader(1, PixelNormalization.UnitRange, Size, Size), [layer]);
        var description = new ModelDescription
        {
            ImageChannels = 1, ImageHeight = Size, ImageWidth = Size, Quantized = true, BaseWidth = 4, Layers = [new LayerWidths("final", 4, 8, 1, 1)],
        };
        return new SegmentationModel(new TransformerOptions(ColumnNames.Default, ScoringMode.Integer, 4), new ModelPackage(description, ReadOnlyMemory<byte>.Empty, integerModel));
    }
}
