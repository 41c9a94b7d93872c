using QuantUNet.Cli.Training;
using ScottPlot;

namespace QuantUNet.Cli.Report;

/// <summary>
/// Per-epoch curves in four panels: the loss terms, the bitwidth term, validation Dice and the average bits. Colour
/// says what is measured, the line pattern which model: float dashed, QuantU-Net solid, a baseline run dotted.
/// </summary>
internal static class TrainingCurvesFigure
{
    /// <summary>One model's epochs; <paramref name="EpochOffset"/> puts QAT epochs after the float warm start they continue.</summary>
    public sealed record Series(string Name, IReadOnlyList<TrainReport.EpochFacts> Epochs, int EpochOffset, LinePattern Pattern)
    {
        public bool Quantized => Epochs.Count > 0 && Epochs[0].Model == QuantModel;
    }

    private const string QuantModel = "quant";

    /// <summary>The float and quant series of one run's records; QAT epochs start after <paramref name="warmStartEpoch"/>.</summary>
    public static IEnumerable<Series> Of(IReadOnlyList<TrainReport.EpochFacts> records, int? warmStartEpoch, string? runName = null) =>
        records.GroupBy(r => r.Model).Select(g => new Series(
            runName is null ? g.Key : $"{runName} {g.Key}", [.. g],
            g.Key == QuantModel ? warmStartEpoch ?? 0 : 0,
            runName is not null ? LinePattern.Dotted : g.Key == QuantModel ? LinePattern.Solid : LinePattern.Dashed));

    public static void Write(string path, IReadOnlyList<Series> series)
    {
        var figure = new Multiplot();
        figure.AddPlots(4);
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        var (losses, bitwidthTerm, dice, bits) = (figure.GetPlot(0), figure.GetPlot(1), figure.GetPlot(2), figure.GetPlot(3));
        foreach (var s in series)
        {
            Add(losses, s, "BCE", Colors.Crimson, e => e.Loss.BinaryCrossEntropy);
            Add(losses, s, "Dice loss", Colors.SeaGreen, e => e.Loss.Dice);
            Add(dice, s, "validation Dice", Colors.SeaGreen, e => e.Validation?.Dice);
            // A float model has no learned widths: its bit curves would be flat lines at the float width.
            if (!s.Quantized) continue;
            Add(bitwidthTerm, s, "bitwidth term", Colors.Purple, e => e.BitwidthTermOn ? e.Loss.Bitwidth : null);
            Add(bits, s, "weight bits", Colors.SteelBlue, e => e.AverageWeightBits);
            Add(bits, s, "weight bits, size-weighted", Colors.Navy, e => e.SizeWeightedWeightBits);
            Add(bits, s, "activation bits", Colors.DarkOrange, e => e.AverageActivationBits);
        }
        // Losses and widths fall, Dice rises: each legend sits where its curves usually are not.
        Label(losses, "Training loss terms", "mean loss", Alignment.UpperRight);
        Label(bitwidthTerm, "Bitwidth term (before lambda)", "bits", Alignment.UpperRight);
        Label(dice, "Validation Dice", "Dice", Alignment.LowerRight);
        Label(bits, "Average learned bits (QuantU-Net)", "bits", Alignment.UpperRight);
        PngFile.Write(path, figure, 1400, 1000);
    }

    private static void Add(Plot plot, Series series, string quantity, Color colour, Func<TrainReport.EpochFacts, double?> value)
    {
        var points = series.Epochs.Where(e => value(e) is not null).ToList();
        if (points.Count == 0) return;
        var line = plot.Add.Scatter(points.Select(e => (double)(e.Epoch + series.EpochOffset)).ToArray(), points.Select(e => value(e)!.Value).ToArray(), colour);
        line.LinePattern = series.Pattern;
        line.LineWidth = 2;
        line.MarkerSize = 5;
        line.LegendText = $"{series.Name} {quantity}";
    }

    private static void Label(Plot plot, string title, string unit, Alignment legend)
    {
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(unit);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (plot.GetPlottables().Any()) plot.ShowLegend(legend);
    }
}
