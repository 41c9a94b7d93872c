using System.Text.RegularExpressions;
using SkiaSharp;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed partial class ReportCommandTests
{
    // Overlay grid geometry for 32x32 slices: 160-pixel tiles (5x), 6-pixel gaps, a 30-pixel header.
    private const int Tile = 160, Gap = 6, Header = 30;

    [GeneratedRegex(@"!\[[^\]]*\]\(([^)]+)\)")]
    private static partial Regex ImageLink();

    /// <summary>The images report.md links, each checked to exist and decode; keyed by file name.</summary>
    internal static Dictionary<string, (int Width, int Height)> LinkedImages(string runFolder)
    {
        var markdown = File.ReadAllText(Path.Combine(runFolder, "report.md"));
        var images = new Dictionary<string, (int, int)>();
        foreach (Match link in ImageLink().Matches(markdown))
        {
            var relative = link.Groups[1].Value;
            Assert.IsFalse(Path.IsPathRooted(relative), $"{relative}: links are relative to report.md");
            var path = Path.Combine(runFolder, relative);
            Assert.IsTrue(File.Exists(path), $"{relative} is linked but missing");
            using var bitmap = SKBitmap.Decode(path);
            Assert.IsNotNull(bitmap, $"{relative} does not decode");
            images[Path.GetFileName(relative)] = (bitmap.Width, bitmap.Height);
        }
        return images;
    }

    [TestMethod]
    public void ATrainRunWithABaselineGetsTheTableCurvesBitsAndOverlays()
    {
        var result = CommandRunner.Run("report", "--run", TinyRuns.Quantized, "--baseline", TinyRuns.Float, "--threads", "2");
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        var markdown = File.ReadAllText(Path.Combine(TinyRuns.Quantized, "report.md"));
        StringAssert.Contains(markdown, "| validation | this run | float baseline |");
        StringAssert.Contains(markdown, "| Dice (pooled) |");

        var images = LinkedImages(TinyRuns.Quantized);
        CollectionAssert.AreEquivalent(new[] { "training-curves.png", "layer-bits.png", "overlays.png" }, images.Keys.ToArray());
        Assert.AreEqual((1400, 1000), images["training-curves.png"]);
        Assert.AreEqual((900, 250 + 28 * 23), images["layer-bits.png"], "one bar pair per layer of the 23");
        // input, truth, baseline float, fake-quant, integer; one validation patient gives 3 slices with foreground and 1 empty at most.
        var (width, height) = images["overlays.png"];
        Assert.AreEqual(5 * (Tile + Gap) + Gap, width);
        Assert.AreEqual(0, (height - Header - Gap) % (Tile + Gap));
        Assert.IsTrue((height - Header - Gap) / (Tile + Gap) is >= 1 and <= 4, $"{height} pixels high");
    }

    [TestMethod]
    public void AFolderThatIsNoRunFailsWithOneLineNamingIt()
    {
        using var directory = new TempFolder("quantunet-report");
        var result = CommandRunner.Run("report", "--run", directory.Path);
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.Error, $"{directory.Path}: holds neither train.json (a train run) nor report.json (a demo run).");
        Assert.AreEqual(1, result.Error.Trim().Split('\n').Length, $"one line, no stack trace: {result.Error}");
    }
}
