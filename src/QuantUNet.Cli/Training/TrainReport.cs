using System.Text.Json.Serialization;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Demo;
using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Training;

/// <summary>What <c>quantunet train</c> did, serialised as train.json.</summary>
internal sealed record TrainReport
{
    public required DatasetSource Data { get; init; }
    public required bool Quantized { get; init; }
    public required int ImageSize { get; init; }
    public required int BaseWidth { get; init; }
    public required int Channels { get; init; }
    /// <summary>The bit budget of the average weight bits (--target-bits); null: the paper's plain lambda term.</summary>
    public required double? TargetBits { get; init; }
    /// <summary>The recipe the run trained with, every setting of it (<see cref="TrainingRecipe"/>).</summary>
    public required TrainingRecipe Recipe { get; init; }
    public required int Epochs { get; init; }
    /// <summary>Float epochs before QuantU-Net took the weights; null for a float model.</summary>
    public required int? WarmStartEpoch { get; init; }
    /// <summary>The epoch of the final phase whose model was kept (the best eligible validation epoch; see the training recipe).</summary>
    public required int KeptEpoch { get; init; }
    public required int BatchSize { get; init; }
    public required int Seed { get; init; }
    public required double ValidationFraction { get; init; }
    public required SplitFacts Split { get; init; }
    public required IReadOnlyList<EpochFacts> EpochRecords { get; init; }
    /// <summary>The final model on the validation patients; null without a validation share.</summary>
    public required ValidationScores? Validation { get; init; }
    public required BitFacts Bits { get; init; }
    public required double Seconds { get; init; }

    public sealed record SplitFacts(int TrainingImages, int ValidationImages, IReadOnlyList<string> TrainingPatients, IReadOnlyList<string> ValidationPatients)
    {
        public static SplitFacts From(IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample> validation) =>
            new(training.Count, validation.Count, Patients(training), Patients(validation));

        private static List<string> Patients(IReadOnlyList<SegmentationSample> samples) =>
            [.. samples.Select(s => s.GroupId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <param name="Model">"float" (the float model, also the warm start) or "quant".</param>
    public sealed record EpochFacts(
        string Model, int Epoch, bool BitwidthTermOn, bool WidthsFrozen, double LearningRate, LossTerms Loss, EpochValidation? Validation,
        double AverageWeightBits, double SizeWeightedWeightBits, double AverageActivationBits, double Seconds)
    {
        public static EpochFacts From(string model, EpochRecord record) => new(
            model, record.Epoch, record.BitwidthTermOn, record.WidthsFrozen, record.LearningRate, record.Training,
            record.Validation is { } v ? new EpochValidation(v.Loss, v.Dice, v.IoU, v.PixelAccuracy) : null,
            record.Bitwidths.AverageWeightBits, record.Bitwidths.SizeWeightedWeightBits, record.Bitwidths.AverageActivationBits, record.Seconds);
    }

    /// <summary><see cref="ValidationFigures"/> with "iou" spelt as in metrics.json.</summary>
    public sealed record EpochValidation(double Loss, double Dice, [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy);

    public sealed record ValidationScores(
        double Dice, double MeanDice, double MeanGroupDice, [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy,
        double Precision, double Recall, double Hd95, int Images, int Groups)
    {
        public static ValidationScores From(SegmentationScores s) =>
            new(s.Dice, s.MeanDice, s.MeanGroupDice, s.IoU, s.PixelAccuracy, s.Precision, s.Recall, s.Hd95, s.ImageCount, s.GroupCount);

        /// <summary>The figures kept in the model file's metadata.</summary>
        public IReadOnlyDictionary<string, double> AsMetrics() => new Dictionary<string, double>
        {
            ["validationDice"] = Dice, ["validationMeanGroupDice"] = MeanGroupDice, ["validationIoU"] = IoU, ["validationPixelAccuracy"] = PixelAccuracy,
        };
    }

    public sealed record BitFacts(
        double AverageWeightBits, double SizeWeightedWeightBits, double AverageActivationBits, long ParameterCount,
        long PackedBytes, long Float32Bytes, double SizeRatio, IReadOnlyList<DemoReport.LayerResult> Layers)
    {
        public static BitFacts From(QuantUNetModel model)
        {
            var bits = model.Bitwidths();
            return new(bits.AverageWeightBits, bits.SizeWeightedWeightBits, bits.AverageActivationBits, bits.ParameterCount,
                bits.SizeBytes, bits.FloatSizeBytes, bits.SizeRatio, DemoReport.LayerResult.From(model));
        }
    }
}
