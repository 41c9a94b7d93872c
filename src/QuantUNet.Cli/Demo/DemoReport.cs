using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;
using QuantUNet.Integer.Format;

namespace QuantUNet.Cli.Demo;

/// <summary>What a demo run measured; serialised as report.json and rendered as report.md.</summary>
internal sealed record DemoReport
{
    public required DemoOptions Settings { get; init; }
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
    /// <summary>Figures of every seed of a <c>demo --seeds N</c> run with N &gt; 1, and their spread; null for one seed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SeedSpread? Seeds { get; init; }
    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";
    public DateTime DateUtc { get; init; } = DateTime.UtcNow;

    public sealed record LayerResult(string Name, string Kind, int WeightBits, int ActivationBits, long ParameterCount)
    {
        public static List<LayerResult> From(QuantUNetModel model) =>
            [.. model.Bitwidths().Layers.Zip(model.Layers, (l, layer) => new LayerResult(l.Name, layer.Kind.ToString(), l.WeightBits, l.ActivationBits, l.WeightCount + l.BiasCount))];
    }

    public sealed record ModelResult(
        double Dice, double MeanDice, [property: JsonPropertyName("iou")] double IoU, double PixelAccuracy, double Precision, double Recall,
        long ParameterCount, double AverageWeightBits, double SizeWeightedWeightBits, double AverageActivationBits,
        double SizeRatio, long PackedBytes, long Float32Bytes, IReadOnlyList<LayerResult> Layers, IReadOnlyList<TrainReport.EpochFacts> Epochs)
    {
        /// <param name="model">"float" or "quant", as train.json names its epochs.</param>
        public static ModelResult From(SegmentationScores scores, QuantUNetModel network, IReadOnlyList<EpochRecord> epochs, string model)
        {
            var bits = network.Bitwidths();
            return new(scores.Dice, scores.MeanDice, scores.IoU, scores.PixelAccuracy, scores.Precision, scores.Recall,
                bits.ParameterCount, bits.AverageWeightBits, bits.SizeWeightedWeightBits, bits.AverageActivationBits,
                bits.SizeRatio, bits.SizeBytes, bits.FloatSizeBytes,
                LayerResult.From(network), [.. epochs.Select(e => TrainReport.EpochFacts.From(model, e))]);
        }
    }

    /// <summary>The exported integer model against the fake-quant model it came from, on the held-out slices.</summary>
    /// <param name="MaskAgreement">Share of pixels where the two masks agree.</param>
    /// <param name="Dice">The integer engine's pooled Dice against the truth.</param>
    public sealed record IntegerResult(int Images, long Pixels, long DifferentPixels, double MaskAgreement, double Dice, long FileBytes)
    {
        public static IntegerResult Of(ModelPackage package, IReadOnlyList<SegmentationSample> samples, int threads, long fileBytes)
        {
            int side = samples[0].Height;
            using var integer = SegmentationScorer.Create(package, ScoringMode.Integer, side, side, threads);
            using var torch = SegmentationScorer.Create(package, ScoringMode.FakeQuantized, side, side);
            var evaluator = new SegmentationEvaluator();
            long pixels = 0, different = 0;
            foreach (var batch in samples.Chunk(SegmentationScorer.DefaultBatchSize))
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

    /// <summary>One seed's headline figures on its held-out slices.</summary>
    /// <param name="Folder">Where that seed's full demo run is, relative to the report.</param>
    public sealed record SeedFigures(
        int Seed, string Folder, double FloatDice, double QuantizedDice, double FloatMeanDice, double QuantizedMeanDice,
        double AverageWeightBits, double AverageActivationBits)
    {
        public static SeedFigures Of(DemoReport run, string folder) => new(
            run.Seed, folder, run.Float.Dice, run.Quantized.Dice, run.Float.MeanDice, run.Quantized.MeanDice,
            run.Quantized.AverageWeightBits, run.Quantized.AverageActivationBits);
    }

    /// <summary>Mean, sample standard deviation (0 for one value), smallest and largest of one figure over the seeds.</summary>
    public sealed record Spread(double Mean, double StandardDeviation, double Min, double Max)
    {
        public static Spread Of(IReadOnlyList<double> values)
        {
            double mean = values.Average();
            double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
            return new(mean, sd, values.Min(), values.Max());
        }
    }

    /// <summary>The seeds of a multi-seed demo and the spread of each headline figure.</summary>
    public sealed record SeedSpread(
        IReadOnlyList<SeedFigures> Runs, Spread FloatDice, Spread QuantizedDice, Spread FloatMeanDice, Spread QuantizedMeanDice,
        Spread AverageWeightBits, Spread AverageActivationBits)
    {
        public static SeedSpread Of(IReadOnlyList<SeedFigures> runs)
        {
            Spread Over(Func<SeedFigures, double> figure) => Spread.Of([.. runs.Select(figure)]);
            return new(runs, Over(r => r.FloatDice), Over(r => r.QuantizedDice), Over(r => r.FloatMeanDice), Over(r => r.QuantizedMeanDice),
                Over(r => r.AverageWeightBits), Over(r => r.AverageActivationBits));
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

    /// <summary>A difference of two fractions in percentage points, signed; one that rounds to zero reads "0.00", not "-0.00".</summary>
    internal static string Points(double difference) =>
        (difference * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " points";

    public string Markdown()
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# QuantU-Net demo report");
        md.AppendLine();
        md.AppendLine(c, $"{DateUtc:yyyy-MM-dd HH:mm} UTC, {Machine}, {Threads} TorchSharp threads, seed {Seed}, {TotalSeconds / 60:F1} minutes.");
        if (Seeds is { } seeds) AppendSeeds(md, seeds);
        md.AppendLine(c, $"Synthetic MRI slices {Settings.ImageSize}x{Settings.ImageSize}: {TrainingSlices} for training, {HeldOutSlices} held out (split by synthetic patient).");
        md.AppendLine(c, $"U-Net base width {Settings.BaseWidth}, batch {Settings.BatchSize}. The float model trains {Settings.Epochs} epochs; QuantU-Net starts from its weights after epoch {WarmStartEpoch} and trains {Settings.Epochs - WarmStartEpoch} epochs with quantization and lambda 0.25.");
        md.AppendLine();
        md.AppendLine("| held-out | float U-Net | QuantU-Net | difference |");
        md.AppendLine("|---|---|---|---|");
        void Row(string name, double f, double q) => md.AppendLine(c, $"| {name} | {f * 100:F2}% | {q * 100:F2}% | {Points(q - f)} |");
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

    private void AppendSeeds(StringBuilder md, SeedSpread seeds)
    {
        var c = CultureInfo.InvariantCulture;
        md.AppendLine();
        md.AppendLine(c, $"## {seeds.Runs.Count} seeds ({seeds.Runs[0].Seed} to {seeds.Runs[^1].Seed})");
        md.AppendLine();
        md.AppendLine("Each seed draws its own synthetic patients, split, initialisation and shuffling. Mean, standard deviation and [worst, best] over the seeds:");
        md.AppendLine();
        md.AppendLine("| held-out | float U-Net | QuantU-Net | difference of the means |");
        md.AppendLine("|---|---|---|---|");
        static string Percent(Spread s, IFormatProvider c) => string.Format(c, "{0:F2}% ± {1:F2} [{2:F2}, {3:F2}]", s.Mean * 100, s.StandardDeviation * 100, s.Min * 100, s.Max * 100);
        md.AppendLine(c, $"| Dice (pooled) | {Percent(seeds.FloatDice, c)} | {Percent(seeds.QuantizedDice, c)} | {Points(seeds.QuantizedDice.Mean - seeds.FloatDice.Mean)} |");
        md.AppendLine(c, $"| mean Dice per image | {Percent(seeds.FloatMeanDice, c)} | {Percent(seeds.QuantizedMeanDice, c)} | {Points(seeds.QuantizedMeanDice.Mean - seeds.FloatMeanDice.Mean)} |");
        md.AppendLine(c, $"| average weight bits | 32 | {seeds.AverageWeightBits.Mean:F2} ± {seeds.AverageWeightBits.StandardDeviation:F2} [{seeds.AverageWeightBits.Min:F2}, {seeds.AverageWeightBits.Max:F2}] | |");
        md.AppendLine(c, $"| average activation bits | 32 | {seeds.AverageActivationBits.Mean:F2} ± {seeds.AverageActivationBits.StandardDeviation:F2} [{seeds.AverageActivationBits.Min:F2}, {seeds.AverageActivationBits.Max:F2}] | |");
        md.AppendLine();
        md.AppendLine("| seed | run | float Dice | QuantU-Net Dice | float mean Dice | QuantU-Net mean Dice | weight bits | activation bits |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in seeds.Runs)
            md.AppendLine(c, $"| {r.Seed} | {r.Folder} | {r.FloatDice * 100:F2}% | {r.QuantizedDice * 100:F2}% | {r.FloatMeanDice * 100:F2}% | {r.QuantizedMeanDice * 100:F2}% | {r.AverageWeightBits:F2} | {r.AverageActivationBits:F2} |");
        md.AppendLine();
        md.AppendLine(c, $"## Seed {Seed} in detail");
        md.AppendLine();
    }
}
