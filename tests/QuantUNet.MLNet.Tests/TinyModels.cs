using QuantUNet.Integer;
using QuantUNet.Integer.Format;

namespace QuantUNet.MLNet.Tests;

/// <summary>Saved QuantU-Nets built by hand, for tests that need a transformer but no training.</summary>
internal static class TinyModels
{
    public const int Size = 16;

    /// <summary>
    /// A quantized model in integer mode on 16x16 grey images, column "Image": one 1x1 convolution (foreground where the
    /// pixel is above about 0.39), and an opaque second blob.
    /// </summary>
    public static SegmentationModel Integer16()
    {
        var layer = new IntegerLayer
        {
            Name = "final", Kind = IntegerLayerKind.Conv1x1, InputChannels = 1, OutputChannels = 1, WeightBits = 4, ActivationBits = 8,
            InputScale = 1.0 / 255, WeightScales = [0.1], Weights = [3], Biases = [-300],
        };
        var integerModel = new IntegerModel(new IntegerModelHeader(1, PixelNormalization.UnitRange), [layer]);
        var summary = new QuantUNetModelSummary(true, 4, [new QuantUNetLayer("final", 4, 8, 1, 1)]);
        var description = new ModelDescription(new ColumnNames("Image", "Score", "PredictedLabel", null), 1, Size, Size, ScoringMode.Integer, 4, summary);
        return new SegmentationModel(description, new Dictionary<string, byte[]>
        {
            [IntegerScorerProvider.BlobKey] = IntegerModelFile.Serialize(integerModel),
            ["opaque"] = [1, 2, 3, 4, 5],
        });
    }
}
