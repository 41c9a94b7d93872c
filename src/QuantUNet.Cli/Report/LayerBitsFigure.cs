using QuantUNet.Cli.Demo;
using ScottPlot;

namespace QuantUNet.Cli.Report;

/// <summary>The learned weight and activation bits of every layer as horizontal bars, layer names on the axis, first layer on top.</summary>
internal static class LayerBitsFigure
{
    private const double BarSize = 0.4;

    public static void Write(string path, IReadOnlyList<DemoReport.LayerResult> layers)
    {
        var plot = new Plot();
        // Position 0 is the bottom of the axis, so the first layer takes the highest position.
        double Position(int index) => layers.Count - 1 - index;
        AddBars(plot, "weight bits", Colors.SteelBlue, +BarSize / 2, layers.Select((l, i) => (Position(i), (double)l.WeightBits)));
        AddBars(plot, "activation bits", Colors.DarkOrange, -BarSize / 2, layers.Select((l, i) => (Position(i), (double)l.ActivationBits)));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            layers.Select((_, i) => Position(i)).ToArray(), layers.Select(l => l.Name).ToArray());
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.Axes.SetLimitsX(0, Math.Max(8, layers.Max(l => Math.Max(l.WeightBits, l.ActivationBits))) + 0.5);
        plot.Axes.SetLimitsY(-0.7, layers.Count - 0.3);
        plot.Title("Learned bitwidth per layer");
        plot.XLabel("bits");
        // Below the axes: inside, the legend would cover some layer's bars.
        plot.ShowLegend(Edge.Bottom);
        PngFile.Write(path, plot, 900, Height(layers.Count));
    }

    /// <summary>The figure's height in pixels: room for the title, the axis and the legend, and 28 pixels a layer.</summary>
    private static int Height(int layers) => 250 + 28 * layers;

    private static void AddBars(Plot plot, string legend, Color colour, double offset, IEnumerable<(double Position, double Bits)> values)
    {
        var bars = plot.Add.Bars(values.Select(v => new Bar { Position = v.Position + offset, Value = v.Bits, Size = BarSize, FillColor = colour }).ToList());
        bars.Horizontal = true;
        bars.LegendText = legend;
        bars.Color = colour;
    }
}
