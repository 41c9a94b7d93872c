using System.Globalization;
using QuantUNet.Cli.Sweep;
using ScottPlot;

namespace QuantUNet.Cli.Report;

/// <summary>
/// The front of a sweep: validation Dice against average weight bits, one labelled point a bit budget, the float model
/// as a horizontal line, and the paper's one reported point placed relative to that line.
/// </summary>
internal static class FrontFigure
{
    public const int Width = 1000, Height = 700;

    /// <summary>The paper's QuantU-Net: 4.24 average weight bits, 1.89 points below its float U-Net in its accuracy metric.</summary>
    public const double PaperBits = 4.24, PaperAccuracyDrop = 0.0189;

    public static void Write(string path, SweepReport report)
    {
        var plot = new Plot();
        var points = report.Points.OrderBy(p => p.AverageWeightBits).ToList();
        var front = plot.Add.Scatter(points.Select(p => p.AverageWeightBits).ToArray(), points.Select(p => p.Dice).ToArray(), Colors.SteelBlue);
        front.LineWidth = 2;
        front.MarkerSize = 9;
        front.LegendText = "QuantU-Net, integer engine (pooled Dice)";
        // Targets whose models end at the same bits and Dice share one label (their texts would print over each other);
        // neighbours alternate above and below their points, so that labels of close points do not overlap either.
        var labelled = points.GroupBy(p => (Bits: Math.Round(p.AverageWeightBits, 2), Dice: Math.Round(p.Dice, 3))).ToList();
        for (int i = 0; i < labelled.Count; i++)
        {
            var targets = string.Join(", ", labelled[i].Select(p => p.Target?.ToString(CultureInfo.InvariantCulture)));
            var (bits, dice) = labelled[i].Key;
            var label = plot.Add.Text($"target{(labelled[i].Count() > 1 ? "s" : "")} {targets}: {bits:F2} bits, {dice:F3}", bits, dice);
            label.LabelFontSize = 12;
            label.LabelOffsetX = 8;
            label.LabelOffsetY = i % 2 == 0 ? -18 : 6;
        }

        var baseline = plot.Add.HorizontalLine(report.Float.Dice, 2, Colors.DarkGray, LinePattern.Dashed);
        baseline.LegendText = $"float U-Net (32 bits): {report.Float.Dice:F3}";

        // The paper gives a drop in its own accuracy metric, not a Dice: drawn as that drop below this float model.
        var paper = plot.Add.Marker(PaperBits, report.Float.Dice - PaperAccuracyDrop, MarkerShape.FilledDiamond, 12, Colors.Crimson);
        var paperLabel = plot.Add.Text("paper", PaperBits, report.Float.Dice - PaperAccuracyDrop);
        paperLabel.LabelFontSize = 12;
        paperLabel.LabelOffsetX = 8;
        paper.LegendText = $"paper: {PaperBits} bits, -{PaperAccuracyDrop * 100:F2} points of pixel accuracy (its metric, not Dice), drawn below this float line";

        plot.Title($"Bits against Dice on {report.Split.ValidationPatients.Count} validation patients ({report.ImageSize} px, width {report.BaseWidth})");
        plot.XLabel("average weight bits (plain mean over the layers)");
        plot.YLabel("validation Dice (pooled)");
        var allBits = points.Select(p => p.AverageWeightBits).Append(PaperBits).ToList();
        plot.Axes.SetLimitsX(Math.Min(2, allBits.Min()) - 0.5, Math.Max(8, allBits.Max()) + 1.5);
        // Below the axes: inside, the legend could cover the paper's point or a target's.
        plot.ShowLegend(Edge.Bottom);
        PngFile.Write(path, plot, Width, Height);
    }
}
