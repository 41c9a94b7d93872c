using QuantUNet.Data;

namespace QuantUNet.Cli.Tests;

/// <summary>train's options checked before any data is read, and the channel count taken from the data.</summary>
[TestClass]
public sealed class TrainOptionTests
{
    [TestMethod]
    [DataRow("--target-bits", "9", "--target-bits 9: the average weight bits to aim for must lie in the learnable range, 2 to 8.")]
    [DataRow("--target-bits", "1.5", "--target-bits 1.5: the average weight bits to aim for must lie in the learnable range, 2 to 8.")]
    [DataRow("--channels", "2", "--channels 2: a model reads 1 (grey) or 3 (RGB) channels.")]
    [DataRow("--val-fraction", "1", "--val-fraction 1: the share of patients held out must be at least 0 and below 1.")]
    public void BadValuesAreRefusedBeforeAnyDataIsRead(string option, string value, string message)
    {
        using var folder = new TempFolder("quantunet-train-options");

        var result = CommandRunner.Run("train", "--data", folder.File("no-such-data"), "--out", folder.File("out"), option, value);

        Assert.AreEqual(1, result.ExitCode, result.Output);
        Assert.AreEqual($"quantunet: {message}", result.Error.TrimEnd('\n'));
    }

    [TestMethod]
    public void TargetBitsWithFloatIsRefused()
    {
        using var folder = new TempFolder("quantunet-train-options");

        var result = CommandRunner.Run("train", "--data", folder.File("no-such-data"), "--out", folder.File("out"), "--float", "--target-bits", "4");

        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Error, "--target-bits is a bit budget for QuantU-Net");
    }

    [TestMethod]
    public void FolderMixingGreyAndColourImagesIsRefusedNamingOneOfEach()
    {
        using var folder = new TempFolder("quantunet-mixed");
        var samples = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(16), SlicesPerPatient = 1, Seed = 2 }).Generate(2);
        var grey = samples[0] with { Name = "a/grey" };
        var colour = samples[1] with { Name = "b/colour", Channels = 3, Image = [.. samples[1].Image, .. samples[1].Image.Select(v => v / 2), .. samples[1].Image] };
        ImageFolderDataset.Write([grey, colour], folder.File("data"));

        var result = CommandRunner.Run("train", "--data", folder.File("data"), "--out", folder.File("out"), "--size", "16", "--width", "2", "--epochs", "2");

        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Error, "mixes grey and colour images");
        StringAssert.Contains(result.Error, Path.Combine(folder.File("data"), "images", "a", "grey.png"));
        StringAssert.Contains(result.Error, Path.Combine(folder.File("data"), "images", "b", "colour.png"));
        Assert.IsFalse(Directory.Exists(folder.File("out")));
    }

    [TestMethod]
    public void HelpShowsTheLibraryDefaults()
    {
        var result = CommandRunner.Run("train", "--help");

        StringAssert.Contains(result.Output, $"Images per training step. [default: {new QuantUNet.Torch.Training.TrainingOptions().BatchSize}]");
        StringAssert.Contains(result.Output, "(default: from the data");
    }
}
