using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Training;

/// <summary>
/// How QuantU-Net is trained here: a float U-Net first, then a quantized twin that starts from the
/// float weights after <see cref="WarmStartEpoch"/> epochs and trains the remaining epochs with
/// quantization and the bitwidth term on, so both see the same number of epochs in all.
/// </summary>
internal static class WarmStartRecipe
{
    /// <summary>The share of the epochs the float model trains before QuantU-Net takes its weights.</summary>
    public const double WarmStartFraction = 0.4;

    /// <summary>The epoch after which the float weights are copied: <see cref="WarmStartFraction"/> of the total, at least one.</summary>
    public static int WarmStartEpoch(int epochs) => Math.Max(1, (int)Math.Round(epochs * WarmStartFraction));

    public sealed record Result(QuantUNetModel FloatModel, TrainingResult FloatRun, QuantUNetModel QuantizedModel, TrainingResult QuantizedRun);

    /// <summary>
    /// Trains the float model for <paramref name="floatEpochs"/> epochs (at least <paramref name="warmStartEpoch"/>;
    /// more when the float model is wanted as a fully trained baseline too), copying its weights into
    /// QuantU-Net after epoch <paramref name="warmStartEpoch"/>; QuantU-Net then trains
    /// <c>options.Epochs - warmStartEpoch</c> epochs.
    /// </summary>
    /// <param name="epochEnded">Called after each epoch with the model's name ("float" or "quant").</param>
    public static Result Train(
        QuantUNetOptions architecture, IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample> validation,
        TrainingOptions options, int warmStartEpoch, int floatEpochs, Action<string, EpochRecord> epochEnded, Action<string>? log = null,
        Action<TrainingProgress>? progress = null)
    {
        if (warmStartEpoch < 1 || warmStartEpoch >= options.Epochs)
            throw new ArgumentException($"--float-epochs {warmStartEpoch}: the warm start needs at least one float and one QAT epoch of {options.Epochs}.");
        var floatModel = SegmentationTrainer.CreateModel(architecture with { Quantize = false }, options.Seed);
        var quantModel = SegmentationTrainer.CreateModel(architecture with { Quantize = true }, options.Seed);

        log?.Invoke($"float U-Net: {floatEpochs} epochs");
        var floatRun = SegmentationTrainer.Train(floatModel, training, validation, options with { Epochs = floatEpochs }, progress, record =>
        {
            epochEnded("float", record);
            if (record.Epoch == warmStartEpoch) SegmentationTrainer.CopyWeights(floatModel, quantModel);
        });

        int quantEpochs = options.Epochs - warmStartEpoch;
        log?.Invoke($"QuantU-Net: warm start from the float model at epoch {warmStartEpoch}, then {quantEpochs} QAT epochs (lambda {options.Lambda})");
        var quantRun = SegmentationTrainer.Train(quantModel, training, validation, options with { Epochs = quantEpochs }, progress,
            record => epochEnded("quant", record));
        return new Result(floatModel, floatRun, quantModel, quantRun);
    }

    /// <summary>One log line for an epoch.</summary>
    public static string Describe(string name, EpochRecord record)
    {
        var validation = record.Validation is { } v ? $"val Dice {v.Dice:F4}  IoU {v.IoU:F4}  acc {v.PixelAccuracy:F4}" : "";
        return $"  {name} epoch {record.Epoch,2}: loss {record.Training.Total:F4}  {validation}  " +
               $"weight bits {record.Bitwidths.AverageWeightBits:F2}  ({record.Seconds:F1} s)";
    }
}
