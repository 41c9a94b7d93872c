using QuantUNet.Integer.Package;
using QuantUNet.Data;
using QuantUNet.Integer;
using SkiaSharp;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class PredictCommandTests
{
    // Neither square nor the model's 32: the mask must come back at this size, each model pixel a 2x3 block.
    private const int Height = 64, Width = 96, ModelSide = 32;

    /// <summary>Synthetic slices stretched to <see cref="Height"/>x<see cref="Width"/>, one in a subfolder.</summary>
    private static string WriteInputs(string folder)
    {
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = new ImageSize(Height, Width), Seed = 9 });
        var slices = generator.Generate(3);
        for (int i = 0; i < slices.Count; i++)
            ImageFile.WriteImage(Path.Combine(folder, i == 0 ? "sub" : "", $"slice{i}.png"), new PlanarImage(1, Height, Width, slices[i].Image));
        return folder;
    }

    [TestMethod]
    public void IntegerModeWritesTheEnginesMasksAndOverlaysAtEachImagesOwnSize()
    {
        using var directory = new TempFolder("quantunet-predict");
        var input = WriteInputs(directory.File("in"));
        var output = directory.File("out");
        var result = CommandRunner.Run("predict", "--model", TinyRuns.Quantized, "--input", input, "--out", output, "--mode", "integer", "--threads", "2");
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);

        var engine = new IntegerEngine(ModelPackage.Load(TinyRuns.Quantized).IntegerModel!);
        foreach (var name in new[] { "sub/slice0", "slice1", "slice2" })
        {
            using var mask = SKBitmap.Decode(Path.Combine(output, name + "_mask.png"));
            using var overlay = SKBitmap.Decode(Path.Combine(output, name + "_overlay.png"));
            Assert.AreEqual((Height, Width), (mask.Height, mask.Width), name);
            Assert.AreEqual((Height, Width), (overlay.Height, overlay.Width), name);

            var pixels = ImageFile.ReadImage(Path.Combine(input, name + ".png"), 1, ImageSize.Square(ModelSide)).Pixels;
            var expected = new byte[ModelSide * ModelSide];
            engine.Predict(pixels, ModelSide, ModelSide, expected);
            for (int y = 0; y < Height; y++)
                for (int x = 0; x < Width; x++)
                {
                    byte written = mask.GetPixel(x, y).Red;
                    Assert.IsTrue(written is 0 or 255, $"{name} ({x}, {y}) = {written}: masks hold 0 and 255 only");
                    Assert.AreEqual(expected[y / 2 * ModelSide + x / 3] * 255, written, $"{name} ({x}, {y})");
                }
        }
    }

    [TestMethod]
    public void FakeQuantModeOnAnRgbFileWritesAGreyModelsMask()
    {
        using var directory = new TempFolder("quantunet-predict");
        // A colour file for a grey model: read as its grey value, as the dataset readers do.
        var file = directory.File("colour.png");
        ImageFile.WriteImage(file, new PlanarImage(3, 40, 24, [.. Enumerable.Range(0, 3 * 40 * 24).Select(i => i % 7 / 7f)]));
        var output = directory.File("out");
        var result = CommandRunner.Run("predict", "--model", TinyRuns.Quantized, "--input", file, "--out", output, "--mode", "fakequant");
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        StringAssert.Contains(result.Output, "fakequant: wrote masks and overlays of 1 images");
        var mask = ImageFile.ReadMask(Path.Combine(output, "colour_mask.png"));
        Assert.AreEqual((40, 24), (mask.Height, mask.Width));
    }

    [TestMethod]
    public void AMissingInputFailsWithOneLineNamingIt()
    {
        using var directory = new TempFolder("quantunet-predict");
        var missing = directory.File("no-such-input");
        var result = CommandRunner.Run("predict", "--model", TinyRuns.Quantized, "--input", missing, "--out", directory.File("out"));
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.Error, $"--input {missing}: no such image file or folder.");
        Assert.AreEqual(1, result.Error.Trim().Split('\n').Length, $"one line, no stack trace: {result.Error}");
    }
}
