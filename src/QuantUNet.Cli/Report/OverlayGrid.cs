using System.Globalization;
using QuantUNet.Data;
using SkiaSharp;

namespace QuantUNet.Cli.Report;

/// <summary>
/// A grid of chosen slices, one a row: the input, the truth, then each model's prediction drawn over the input, each
/// prediction tile captioned with its Dice against the truth.
/// </summary>
internal static class OverlayGrid
{
    /// <summary>A prediction column: its title and one 0/1 mask per row, at the slices' size.</summary>
    public sealed record Column(string Title, IReadOnlyList<byte[]> Masks);

    private const int HeaderHeight = 30, Gap = 6, MinimumTile = 160;
    private static readonly SKColor TruthColour = new(40, 200, 80), PredictionColour = new(235, 50, 50), Background = new(30, 30, 30);

    /// <summary>
    /// The slices a grid shows, chosen the same way every time: the <paramref name="withForeground"/> with the most
    /// foreground pixels, then the first empty one, ties broken by name.
    /// </summary>
    public static IReadOnlyList<SegmentationSample> ChooseSlices(IReadOnlyList<SegmentationSample> samples, int withForeground = 3)
    {
        var byName = samples.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var chosen = byName.Where(s => s.HasForeground).OrderByDescending(Foreground).Take(withForeground).ToList();
        chosen.AddRange(byName.Where(s => !s.HasForeground).Take(1));
        return chosen;
    }

    public static void Write(string path, IReadOnlyList<SegmentationSample> rows, IReadOnlyList<Column> predictions)
    {
        if (rows.Count == 0) throw new ArgumentException($"{path}: no slices to draw.", nameof(rows));
        int side = rows[0].Height, scale = Math.Max(1, (MinimumTile + side - 1) / side), tile = side * scale;
        int columns = 2 + predictions.Count;
        using var bitmap = new SKBitmap(columns * (tile + Gap) + Gap, HeaderHeight + rows.Count * (tile + Gap) + Gap);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Background);
        using var font = new SKFont(SKTypeface.Default, 15);
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var shadow = new SKPaint { Color = SKColors.Black.WithAlpha(170) };
        string[] titles = ["input", "truth", .. predictions.Select(c => c.Title)];
        for (int column = 0; column < columns; column++)
            Text(titles[column], SKRect.Create(Left(column), 0, tile, HeaderHeight), SKTextAlign.Center);

        for (int row = 0; row < rows.Count; row++)
        {
            var sample = rows[row];
            var image = new PlanarImage(sample.Channels, sample.Height, sample.Width, sample.Image);
            float top = HeaderHeight + row * (tile + Gap);
            void Tile(int column, byte[] mask, SKColor colour, string caption)
            {
                using var overlay = MaskOverlay.Render(image, mask, colour);
                var target = SKRect.Create(Left(column), top, tile, tile);
                // Nearest: each model pixel stays a crisp block, so the grid shows what the model saw.
                using var picture = SKImage.FromBitmap(overlay);
                canvas.DrawImage(picture, target, new SKSamplingOptions(SKFilterMode.Nearest));
                if (caption.Length == 0) return;
                var band = SKRect.Create(target.Left, target.Bottom - 22, tile, 22);
                canvas.DrawRect(band, shadow);
                Text(caption, band, SKTextAlign.Left);
            }
            // The file name without its patient folder: the tile is too narrow for both.
            Tile(0, new byte[sample.Mask.Length], TruthColour, Path.GetFileName(sample.Name));
            Tile(1, sample.Mask, TruthColour, sample.HasForeground ? $"{Foreground(sample)} px" : "empty");
            for (int column = 0; column < predictions.Count; column++)
                Tile(2 + column, predictions[column].Masks[row], PredictionColour, Caption(predictions[column].Masks[row], sample.Mask));
        }
        PngFile.Write(path, bitmap);

        float Left(int column) => Gap + column * (tile + Gap);

        // Clipped to its box, so a long title or name never runs into the next tile.
        void Text(string value, SKRect box, SKTextAlign align)
        {
            canvas.Save();
            canvas.ClipRect(box);
            float x = align == SKTextAlign.Center ? box.MidX : box.Left + 5;
            canvas.DrawText(value, x, box.Bottom - 7, align, font, text);
            canvas.Restore();
        }
    }

    private static int Foreground(SegmentationSample sample) => sample.Mask.Count(m => m != 0);

    /// <summary>Dice against the truth, or for an empty truth the false-positive pixels.</summary>
    private static string Caption(byte[] predicted, byte[] truth)
    {
        int both = 0, predictedCount = 0, truthCount = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            bool p = predicted[i] != 0, t = truth[i] != 0;
            if (p) predictedCount++;
            if (t) truthCount++;
            if (p && t) both++;
        }
        return truthCount == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{predictedCount} px predicted")
            : string.Create(CultureInfo.InvariantCulture, $"Dice {2.0 * both / (predictedCount + truthCount):F3}");
    }
}
