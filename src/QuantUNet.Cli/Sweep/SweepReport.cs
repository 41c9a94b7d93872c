using System.Text.Json.Serialization;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Training;
using QuantUNet.Data;

namespace QuantUNet.Cli.Sweep;

/// <summary>What <c>quantunet sweep</c> measured, serialised as sweep.json: the float baseline and one QuantU-Net a bit budget.</summary>
internal sealed record SweepReport
{
    public const string FileName = "sweep.json";

    public required DatasetSource Data { get; init; }
    public required int ImageSize { get; init; }
    public required int BaseWidth { get; init; }
    public required int Channels { get; init; }
    public required int Seed { get; init; }
    /// <summary>
    /// The recipe the sweep's settings give (<see cref="TrainingRecipe"/>, today's defaults for what they leave out), which its
    /// new runs train with; a point begun by an older build continues with its checkpoint's options. Each QuantU-Net's own bit
    /// budget is its point's target.
    /// </summary>
    public required TrainingRecipe Recipe { get; init; }
    /// <summary>Epochs of the float baseline.</summary>
    public required int FloatEpochs { get; init; }
    /// <summary>The float epoch whose weights every QuantU-Net starts from.</summary>
    public required int WarmStartEpoch { get; init; }
    /// <summary>Quantization-aware epochs of each QuantU-Net, as many as train's QAT phase.</summary>
    public required int QuantizedEpochs { get; init; }
    public required TrainReport.SplitFacts Split { get; init; }
    /// <summary>How every figure was scored: the float model in TorchSharp, each QuantU-Net by the integer engine.</summary>
    public string Scoring { get; init; } = "validation patients; float U-Net by TorchSharp, QuantU-Net by the integer engine on its exported model (as quantunet evaluate)";
    public required Point Float { get; init; }
    public required IReadOnlyList<Point> Points { get; init; }
    public required double Seconds { get; init; }

    /// <summary>One model on the validation patients.</summary>
    /// <param name="Target">The bit budget (--target-bits) of a QuantU-Net; null for the float baseline.</param>
    /// <param name="WeightBytes">Packed weights at their learned widths plus int32 biases; float32 weights for the float model.</param>
    /// <param name="IntegerModelBytes">The integer model file (what would be deployed); null for the float model.</param>
    /// <param name="Seconds">Training and scoring time of this model (0 for the float baseline's warm-start share).</param>
    public sealed record Point(
        double? Target, double AverageWeightBits, double SizeWeightedWeightBits, double AverageActivationBits,
        double Dice, double MeanGroupDice, double MeanDice, [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy,
        long WeightBytes, long? IntegerModelBytes, double Seconds)
    {
        public static Point Of(double? target, TrainReport.BitFacts bits, bool quantized, SegmentationScores scores, long? integerModelBytes, double seconds) => new(
            target, bits.AverageWeightBits, bits.SizeWeightedWeightBits, bits.AverageActivationBits,
            scores.Dice, scores.MeanGroupDice, scores.MeanDice, scores.IoU, scores.PixelAccuracy,
            quantized ? bits.PackedBytes : bits.Float32Bytes, integerModelBytes, seconds);
    }
}
