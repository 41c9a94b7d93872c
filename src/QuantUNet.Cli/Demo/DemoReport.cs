using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Demo;

/// <summary>What a demo run measured; serialised as report.json and rendered as report.md.</summary>
internal sealed record DemoReport
{
    public required DemoSettings Settings { get; init; }
    public required int Seed { get; init; }
    public required int Threads { get; init; }
    public required int WarmStartEpoch { get; init; }
    public required int TrainingSlices { get; init; }
    public required int HeldOutSlices { get; init; }
    public required ModelResult Float { get; init; }
    public required ModelResult Quantized { get; init; }
    public required IntegerResult Integer { get; init; }
    public required StepTimes Timing { get; init; }
    public required double TotalSeconds { get; init; }
    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";
    public DateTime DateUtc { get; init; } = DateTime.UtcNow;

    public sealed record LayerResult(string Name, string Kind, int WeightBits, int ActivationBits, long ParameterCount)
    {
        public static List<LayerResult> From(BitwidthSummary bits) =>
            [.. bits.Layers.Select(l => new LayerResult(l.Name, l.Kind.ToString(), l.WeightBits, l.ActivationBits, l.WeightCount + l.BiasCount))];
    }

    public sealed record ModelResult(
        double Dice, double MeanDice, [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy, double Precision, double Recall,
        long ParameterCount, double AverageWeightBits, double SizeWeightedWeightBits, double AverageActivationBits,
        double SizeRatio, long PackedBytes, long Float32Bytes, IReadOnlyList<LayerResult> Layers, IReadOnlyList<TrainReport.EpochFacts> Epochs)
    {
        /// <param name="model">"float" or "quant", as train.json names its epochs.</param>
        public static ModelResult From(SegmentationScores scores, BitwidthSummary bits, IReadOnlyList<EpochRecord> epochs, string model) => new(
            scores.Dice, scores.MeanDice, scores.IoU, scores.PixelAccuracy, scores.Precision, scores.Recall,
            bits.ParameterCount, bits.AverageWeightBits, bits.SizeWeightedWeightBits, bits.AverageActivationBits,
            bits.SizeRatio, (bits.QuantizedSizeBits + 7) / 8, bits.ParameterCount * 4,
            LayerResult.From(bits), [.. epochs.Select(e => TrainReport.EpochFacts.From(model, e))]);
    }

    /// <summary>The exported integer model against the fake-quant model it came from, on the held-out slices.</summary>
    /// <param name="MaskAgreement">Share of pixels where the two masks agree.</param>
    /// <param name="Dice">The integer engine's pooled Dice against the truth.</param>
    public sealed record IntegerResult(int Images, long Pixels, long DifferentPixels, double MaskAgreement, double Dice, long FileBytes)
    {
        public static IntegerResult Of(IntegerModel exported, QuantUNetModel fakeQuant, IReadOnlyList<SegmentationSample> samples, int threads, long fileBytes)
        {
            using var integer = MaskScorer.Integer(exported, threads);
            using var torch = MaskScorer.Torch(fakeQuant, unquantized: false);
            var evaluator = new SegmentationEvaluator();
            long pixels = 0, different = 0;
            foreach (var batch in samples.Chunk(MaskScorer.Batch))
            {
                byte[] integerMasks = integer.Masks(batch), fakeQuantMasks = torch.Masks(batch);
                for (int i = 0; i < integerMasks.Length; i++)
                    if (integerMasks[i] != fakeQuantMasks[i]) different++;
                pixels += integerMasks.Length;
                evaluator.Add(integerMasks, batch);
            }
            return new IntegerResult(samples.Count, pixels, different, 1 - (double)different / pixels, evaluator.GetScores().Dice, fileBytes);
        }
    }

    /// <summary>Median seconds of a training step of each model on the same batch.</summary>
    public sealed record StepTimes(double FloatStepSeconds, double QuantStepSeconds, int Steps)
    {
        public double Ratio => QuantStepSeconds / FloatStepSeconds;
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public const string FileName = "report.json";

    /// <summary>Writes report.json; report.md, with the figures, is <see cref="Report.RunReport"/>'s.</summary>
    public void Write(string directory) => AtomicFile.WriteAllBytes(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <exception cref="InvalidDataException">The file is not a demo report; the message names it.</exception>
    public static DemoReport Load(string path) => Report.RunFile.Read<DemoReport>(path, "demo report");

    public string Markdown()
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# QuantU-Net demo report");
        md.AppendLine();
        md.AppendLine(c, $"{DateUtc:yyyy-MM-dd HH:mm} UTC, {Machine}, {Threads} TorchSharp threads, seed {Seed}, {TotalSeconds / 60:F1} minutes.");
        md.AppendLine(c, $"Synthetic MRI slices {Settings.ImageSize}x{Settings.ImageSize}: {TrainingSlices} for training, {HeldOutSlices} held out (split by synthetic patient).");
        md.AppendLine(c, $"U-Net base width {Settings.BaseWidth}, batch {Settings.BatchSize}. The float model trains {Settings.Epochs} epochs; QuantU-Net starts from its weights after epoch {WarmStartEpoch} and trains {Settings.Epochs - WarmStartEpoch} epochs with quantization and lambda 0.25.");
        md.AppendLine();
        md.AppendLine("| held-out | float U-Net | QuantU-Net | difference |");
        md.AppendLine("|---|---|---|---|");
        void Row(string name, double f, double q) => md.AppendLine(c, $"| {name} | {f * 100:F2}% | {q * 100:F2}% | {(q - f) * 100:+0.00;-0.00} points |");
        Row("Dice (pooled)", Float.Dice, Quantized.Dice);
        Row("mean Dice per image", Float.MeanDice, Quantized.MeanDice);
        Row("IoU", Float.IoU, Quantized.IoU);
        Row("pixel accuracy", Float.PixelAccuracy, Quantized.PixelAccuracy);
        md.AppendLine(c, $"| average weight bits (plain / size-weighted) | 32 | {Quantized.AverageWeightBits:F2} / {Quantized.SizeWeightedWeightBits:F2} | |");
        md.AppendLine(c, $"| average activation bits | 32 | {Quantized.AverageActivationBits:F2} | |");
        md.AppendLine(c, $"| weight bytes | {Float.Float32Bytes:N0} | {Quantized.PackedBytes:N0} | {Quantized.SizeRatio:F2}x smaller |");
        md.AppendLine(c, $"| training step (median of {Timing.Steps}, alternating) | {Timing.FloatStepSeconds * 1000:F0} ms | {Timing.QuantStepSeconds * 1000:F0} ms | {Timing.Ratio:F2}x |");
        md.AppendLine();
        md.AppendLine(c, $"Integer engine ({DemoRun.IntegerModelFileName}, {Integer.FileBytes:N0} bytes) against the fake-quant QuantU-Net on the {Integer.Images} held-out slices: " +
                         $"masks agree on {Integer.MaskAgreement * 100:F3}% of pixels ({Integer.DifferentPixels:N0} of {Integer.Pixels:N0} differ); integer Dice {Integer.Dice * 100:F2}% (fake-quant {Quantized.Dice * 100:F2}%).");
        md.AppendLine();
        md.AppendLine("## Learned bitwidths per layer");
        md.AppendLine();
        md.AppendLine("| layer | kind | weight bits | activation bits | parameters |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var layer in Quantized.Layers)
            md.AppendLine(c, $"| {layer.Name} | {layer.Kind} | {layer.WeightBits} | {layer.ActivationBits} | {layer.ParameterCount:N0} |");
        md.AppendLine();
        md.AppendLine("## Epochs");
        md.AppendLine();
        md.AppendLine("| model | epoch | loss | bitwidth term | held-out Dice | weight bits | activation bits | seconds |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var e in Float.Epochs.Concat(Quantized.Epochs))
            md.AppendLine(c, $"| {e.Model} | {e.Epoch} | {e.Loss.Total:F4} | {(e.BitwidthTermOn ? e.Loss.Bitwidth.ToString("F3", c) : "off")} | {e.Validation?.Dice:F4} | {e.AverageWeightBits:F2} | {e.AverageActivationBits:F2} | {e.Seconds:F1} |");
        return md.ToString();
    }
}
