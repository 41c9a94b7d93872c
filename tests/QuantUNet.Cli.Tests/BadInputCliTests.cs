using QuantUNet.Data;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// `train` and `evaluate` on a bad data folder (docs/bad-input.md): exit code 1, one line on stderr naming the file or
/// folder and the problem, no stack trace, and nothing written to --out.
/// </summary>
[TestClass]
public sealed class BadInputCliTests
{
    private const int Size = 32;
    private static string _root = "";
    private static string _model = "";

    [ClassInitialize]
    public static void SaveAnUntrainedModel(TestContext context)
    {
        _root = Directory.CreateTempSubdirectory("quantunet-bad-input").FullName;
        // Evaluate needs a model before it reads data; an untrained float U-Net at the test size will do.
        _model = UntrainedModel.Save(Path.Combine(_root, "model.qunet"), Size);
    }

    [ClassCleanup]
    public static void CleanUp() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    [DataRow("truncated-image", "evaluate")] [DataRow("truncated-image", "train")]
    [DataRow("not-an-image", "evaluate")] [DataRow("not-an-image", "train")]
    [DataRow("missing-mask", "evaluate")] [DataRow("missing-mask", "train")]
    [DataRow("empty-folder", "evaluate")] [DataRow("empty-folder", "train")]
    public void BadDataFailsWithOneLineNamingTheFileAndWritesNothing(string damage, string verb)
    {
        var data = Path.Combine(_root, $"{damage}-{verb}");
        string expected = Damage(data, damage);
        var output = Path.Combine(_root, $"{damage}-{verb}-out");
        string[] arguments = verb == "train"
            ? ["train", "--data", data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "2", "--threads", "1"]
            : ["evaluate", "--model", _model, "--data", data, "--out", output, "--threads", "1"];

        var result = CommandRunner.Run(arguments);

        Assert.AreEqual(1, result.ExitCode, result.Error);
        Assert.AreEqual($"quantunet: {expected}", result.Error.TrimEnd('\n'), "one line, no stack trace");
        Assert.IsFalse(Directory.Exists(output), "nothing is written for a run that failed on its data");
    }

    [TestMethod]
    public void TrainingOnMasksThatAreAllEmptyRunsAndWarns()
    {
        var data = Path.Combine(_root, "all-empty");
        var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 3 }).Generate(8);
        ImageFolderDataset.Write(samples.Select(s => s with { Mask = new byte[s.Mask.Length] }), data);
        var output = Path.Combine(_root, "all-empty-out");

        var result = CommandRunner.Run("train", "--data", data, "--out", output, "--size", $"{Size}", "--width", "4", "--epochs", "2", "--threads", "1");

        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.StartsWith(result.Error, $"quantunet: warning: {data} (training slices): every one of the ");
        StringAssert.Contains(result.Error, "masks is empty (no foreground pixel); training runs, but the model can only learn to predict background.");
        Assert.IsTrue(File.Exists(Path.Combine(output, "model.zip")), "the run still ends with a model");
    }

    /// <summary>Writes a small dataset under <paramref name="folder"/>, damages it, and returns the message expected.</summary>
    private static string Damage(string folder, string damage)
    {
        if (damage == "empty-folder")
        {
            Directory.CreateDirectory(folder);
            return $"{folder}: found no image/mask pairs. Expected images/ and masks/ subfolders with matching names, "
                + "or X.png next to X_mask.png; extensions .png, .jpg, .jpeg, .bmp, .gif, .webp, .ico, .wbmp, .tif, .tiff.";
        }
        var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(Size), Seed = 3 }).WriteDataset(4, folder);
        string image = Path.Combine(folder, ImageFolderDataset.ImagesFolder, samples[2].Name + ".png");
        string mask = Path.Combine(folder, ImageFolderDataset.MasksFolder, samples[2].Name + ".png");
        switch (damage)
        {
            case "truncated-image":
                var bytes = File.ReadAllBytes(image);
                File.WriteAllBytes(image, bytes[..(bytes.Length / 2)]);
                return $"{image}: decoding failed (IncompleteInput); the file may be truncated or corrupt.";
            case "not-an-image":
                File.WriteAllText(image, "patient notes, saved as .png by mistake");
                return $"{image}: not an image format SkiaSharp can decode (PNG, JPEG, BMP, GIF, WebP) nor TIFF.";
            default:
                File.Delete(mask);
                string masks = Path.Combine(folder, ImageFolderDataset.MasksFolder, samples[2].Name);
                return $"{image}: no mask file found (looked for {masks}.* or {masks}_mask.*).";
        }
    }
}
