using System.Globalization;
using System.Text;
using QuantUNet.Cli.Commands;
using QuantUNet.Cli.Demo;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Report;

/// <summary>
/// Turns a run folder, written by <c>train</c> (train.json) or <c>demo</c> (report.json), into report.md with its
/// figures in figures/: training curves, learned bits per layer and overlays of chosen held-out slices.
/// </summary>
internal static class RunReport
{
    public const string MarkdownFile = "report.md", FiguresFolder = "figures", TrainFile = "train.json";
    private const string CurvesFile = "training-curves.png", BitsFile = "layer-bits.png", OverlaysFile = "overlays.png";
    private const string FloatTitle = "float U-Net", FakeQuantTitle = "fake-quant", IntegerTitle = "integer engine";

    /// <summary>Writes report.md and its figures into <paramref name="runDirectory"/>; returns report.md's path.</summary>
    /// <param name="baselineDirectory">A float <c>train</c> run whose curves and predictions stand beside a train run's.</param>
    /// <exception cref="DirectoryNotFoundException">A folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds neither train.json nor report.json.</exception>
    public static string Write(string runDirectory, string? baselineDirectory, int threads)
    {
        if (!Directory.Exists(runDirectory))
            throw new DirectoryNotFoundException($"{runDirectory}: run folder not found.");
        if (File.Exists(Path.Combine(runDirectory, TrainFile)))
            return WriteTrainRun(runDirectory, baselineDirectory, threads);
        if (!File.Exists(Path.Combine(runDirectory, DemoReport.FileName)))
            throw new FileNotFoundException($"{runDirectory}: holds neither {TrainFile} (a train run) nor {DemoReport.FileName} (a demo run).");
        if (baselineDirectory is not null)
            throw new ArgumentException($"--baseline {baselineDirectory}: a demo run has its own float model; --baseline goes with train runs.");
        return WriteDemoRun(runDirectory, threads);
    }

    private sealed record Overlays(IReadOnlyList<SegmentationSample> Slices, IReadOnlyList<OverlayGrid.Column> Columns);

    private static string WriteDemoRun(string runDirectory, int threads)
    {
        var demo = DemoReport.Load(Path.Combine(runDirectory, DemoReport.FileName));
        var slices = OverlayGrid.ChooseSlices(DemoRun.Data(demo.Settings, demo.Seed).HeldOut);
        var floatModel = TrainedModel.Load(Path.Combine(runDirectory, DemoRun.FloatModelFile));
        var quantModel = TrainedModel.Load(Path.Combine(runDirectory, DemoRun.QuantModelFile));
        var overlays = new Overlays(slices, [
            Column(FloatTitle, floatModel, ScoringMode.Float, slices, threads), Column(FakeQuantTitle, quantModel, ScoringMode.FakeQuantized, slices, threads),
            Column(IntegerTitle, quantModel, ScoringMode.Integer, slices, threads)]);
        var curves = TrainingCurvesFigure.Of([.. demo.Float.Epochs, .. demo.Quantized.Epochs], demo.WarmStartEpoch).ToList();
        return WriteReport(runDirectory, demo.Markdown(), curves, demo.Quantized.Layers, overlays, withBaseline: false);
    }

    private static string WriteTrainRun(string runDirectory, string? baselineDirectory, int threads)
    {
        var run = RunFile.Read<TrainReport>(Path.Combine(runDirectory, TrainFile), TrainFile);
        var baseline = baselineDirectory is null ? null : ReadBaseline(baselineDirectory);
        var curves = TrainingCurvesFigure.Of(run.EpochRecords, run.WarmStartEpoch).ToList();
        if (baseline is not null) curves.AddRange(TrainingCurvesFigure.Of(baseline.EpochRecords, null, "baseline"));

        Overlays? overlays = null;
        var validationPatients = run.Split.ValidationPatients.ToHashSet(StringComparer.Ordinal);
        if (validationPatients.Count > 0)
        {
            var validation = run.Data.Load(ImageSize.Square(run.ImageSize), run.Channels).Where(s => validationPatients.Contains(s.GroupId)).ToList();
            var slices = OverlayGrid.ChooseSlices(validation);
            var model = TrainedModel.Load(runDirectory);
            var baselineModel = baselineDirectory is null ? null : TrainedModel.Load(baselineDirectory);
            var columns = new List<OverlayGrid.Column>();
            if (baselineModel is not null)
                columns.Add(Column("float baseline", baselineModel, ScoringMode.Float, slices, threads));
            if (model.Package.Description.Quantized)
            {
                columns.Add(Column(FakeQuantTitle, model, ScoringMode.FakeQuantized, slices, threads));
                columns.Add(Column(IntegerTitle, model, ScoringMode.Integer, slices, threads));
            }
            else
            {
                columns.Add(Column(FloatTitle, model, ScoringMode.Float, slices, threads));
            }
            overlays = new Overlays(slices, columns);
        }
        return WriteReport(runDirectory, TrainMarkdown(runDirectory, run, baseline), curves, run.Quantized ? run.Bits.Layers : null, overlays, baseline is not null);
    }

    /// <exception cref="ArgumentException">The folder is not a float train run.</exception>
    private static TrainReport ReadBaseline(string baselineDirectory)
    {
        var path = Path.Combine(baselineDirectory, TrainFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"--baseline {baselineDirectory}: no {TrainFile}; give the folder of a train --float run.", path);
        var baseline = RunFile.Read<TrainReport>(path, TrainFile);
        if (baseline.Quantized)
            throw new ArgumentException($"--baseline {baselineDirectory}: holds a QuantU-Net; give the folder of a train --float run.");
        return baseline;
    }

    private static OverlayGrid.Column Column(string title, TrainedModel model, ScoringMode mode, IReadOnlyList<SegmentationSample> slices, int threads)
    {
        using var scorer = model.Scorer(mode, slices[0].Height, threads);
        var masks = scorer.Masks(slices);
        int area = slices[0].Height * slices[0].Width;
        return new OverlayGrid.Column(title, [.. Enumerable.Range(0, slices.Count).Select(i => masks[(i * area)..((i + 1) * area)])]);
    }

    private static string WriteReport(
        string runDirectory, string body, IReadOnlyList<TrainingCurvesFigure.Series> curves, IReadOnlyList<DemoReport.LayerResult>? layers, Overlays? overlays,
        bool withBaseline)
    {
        var figures = Directory.CreateDirectory(Path.Combine(runDirectory, FiguresFolder)).FullName;
        var md = new StringBuilder(body.TrimEnd()).AppendLine().AppendLine().AppendLine("## Figures").AppendLine();
        void Figure(string caption, string file) => md.AppendLine(CultureInfo.InvariantCulture, $"![{caption}]({FiguresFolder}/{file})").AppendLine();

        TrainingCurvesFigure.Write(Path.Combine(figures, CurvesFile), curves);
        Figure($"Training curves per epoch: loss terms, bitwidth term, validation Dice, average bits (float dashed, QuantU-Net solid{(withBaseline ? ", baseline dotted" : "")})", CurvesFile);
        if (layers is not null)
        {
            LayerBitsFigure.Write(Path.Combine(figures, BitsFile), layers);
            Figure("Learned weight and activation bits per layer", BitsFile);
        }
        if (overlays is { Slices.Count: > 0 })
        {
            OverlayGrid.Write(Path.Combine(figures, OverlaysFile), overlays.Slices, overlays.Columns);
            Figure("Held-out slices with the most foreground and one empty slice: truth in green, predictions in red (fake-quant: QuantU-Net in TorchSharp as trained; integer engine: the exported integer model)", OverlaysFile);
        }
        var path = Path.Combine(runDirectory, MarkdownFile);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(md.ToString()));
        return path;
    }

    private static string TrainMarkdown(string runDirectory, TrainReport run, TrainReport? baseline)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# {(run.Quantized ? "QuantU-Net" : "Float U-Net")} training run: {Path.GetFileName(Path.TrimEndingDirectorySeparator(runDirectory))}");
        md.AppendLine();
        md.AppendLine(c, $"Data {run.Data.Path}, {run.ImageSize}x{run.ImageSize}, {run.Channels} channel(s): {run.Split.TrainingImages} training slices of {run.Split.TrainingPatients.Count} patients, " +
                         $"{run.Split.ValidationImages} validation slices of {run.Split.ValidationPatients.Count}.");
        md.AppendLine(c, $"Base width {run.BaseWidth}, {run.Epochs} epochs{(run.WarmStartEpoch is { } w ? $" (float warm start for {w})" : "")}, batch {run.BatchSize}, seed {run.Seed}, {run.Seconds / 60:F1} minutes.");
        md.AppendLine();
        var runs = new List<(string Name, TrainReport Report)> { ("this run", run) };
        if (baseline is not null) runs.Add(("float baseline", baseline));
        md.AppendLine(c, $"| validation | {string.Join(" | ", runs.Select(r => r.Name))} |");
        md.AppendLine(c, $"|---|{string.Concat(runs.Select(_ => "---|"))}");
        void Row(string name, Func<TrainReport, string> value) => md.AppendLine(c, $"| {name} | {string.Join(" | ", runs.Select(r => value(r.Report)))} |");
        string Score(TrainReport r, Func<TrainReport.ValidationScores, double> value) => r.Validation is { } v ? (value(v) * 100).ToString("F2", c) + "%" : "-";
        Row("Dice (pooled)", r => Score(r, v => v.Dice));
        Row("mean Dice per image", r => Score(r, v => v.MeanDice));
        Row("mean Dice per patient", r => Score(r, v => v.MeanGroupDice));
        Row("IoU", r => Score(r, v => v.IoU));
        Row("pixel accuracy", r => Score(r, v => v.PixelAccuracy));
        Row("precision", r => Score(r, v => v.Precision));
        Row("recall", r => Score(r, v => v.Recall));
        Row("HD95 (pixels)", r => r.Validation is { } v ? v.Hd95.ToString("F2", c) : "-");
        Row("average weight bits (plain / size-weighted)", r => r.Quantized ? $"{r.Bits.AverageWeightBits.ToString("F2", c)} / {r.Bits.SizeWeightedWeightBits.ToString("F2", c)}" : "32");
        Row("average activation bits", r => r.Quantized ? r.Bits.AverageActivationBits.ToString("F2", c) : "32");
        Row("weight bytes", r => (r.Quantized ? r.Bits.PackedBytes : r.Bits.Float32Bytes).ToString("N0", c));
        Row("smaller than float32", r => r.Quantized ? r.Bits.SizeRatio.ToString("F2", c) + "x" : "1x");
        return md.ToString();
    }
}
