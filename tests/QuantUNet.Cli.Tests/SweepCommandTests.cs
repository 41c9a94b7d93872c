using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using System.Buffers.Binary;
using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class SweepCommandTests
{
    /// <summary>Six synthetic patients of 8 slices, stored as RGB PNGs whose planes differ, so the sweep reads 3 channels from the data.</summary>
    private static void WriteColourDataset(string folder)
    {
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), SlicesPerPatient = 8, Seed = 4 });
        ImageFolderDataset.Write(generator.Generate(48).Select(s => s with
        {
            Name = $"{s.GroupId}/{s.Name}", Channels = 3, Image = [.. s.Image, .. s.Image.Select(v => v / 2), .. s.Image],
        }), folder);
    }

    /// <summary>Writes the colour dataset into <paramref name="folder"/> and runs a 32 px, 2-epoch sweep of it into folder/sweep, which must succeed.</summary>
    /// <returns>The sweep's arguments, to run it again, and its output.</returns>
    private static (string[] Arguments, string Output) RunTinySweep(TempFolder folder, string targets, params string[] more)
    {
        WriteColourDataset(folder.File("data"));
        string[] sweep = ["sweep", "--data", folder.File("data"), "--out", folder.File("sweep"), "--targets", targets, "--size", "32", "--width", "4", "--epochs", "2", "--threads", "2", .. more];
        var result = CommandRunner.Run(sweep);
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        return (sweep, result.Output);
    }

    [TestMethod]
    public void TinySweepWritesTheFrontAndARerunTrainsNothing()
    {
        using var folder = new TempFolder("quantunet-sweep");

        var (sweep, output) = RunTinySweep(folder, "4,3");

        StringAssert.Contains(output, "float epoch  2");
        StringAssert.Contains(output, "quant epoch  1");
        using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.File("sweep"), "sweep.json"))))
        {
            var root = report.RootElement;
            Assert.AreEqual(3, root.GetProperty("channels").GetInt32(), "RGB files train a 3-channel model");
            Assert.AreEqual(1, root.GetProperty("warmStartEpoch").GetInt32());
            Assert.AreEqual(1, root.GetProperty("quantizedEpochs").GetInt32(), "as many QAT epochs as train's QAT phase");
            Assert.AreEqual(32, root.GetProperty("float").GetProperty("averageWeightBits").GetDouble());
            var points = root.GetProperty("points");
            Assert.AreSequenceEqual(new[] { 4.0, 3.0 }, points.EnumerateArray().Select(p => p.GetProperty("target").GetDouble()));
            foreach (var point in points.EnumerateArray().Append(root.GetProperty("float")))
                foreach (var field in new[] { "averageWeightBits", "sizeWeightedWeightBits", "averageActivationBits", "dice", "meanGroupDice", "iou", "pixelAccuracy", "weightBytes" })
                    Assert.AreEqual(JsonValueKind.Number, point.GetProperty(field).ValueKind, field);
            foreach (var point in points.EnumerateArray())
            {
                Assert.IsTrue(point.GetProperty("averageWeightBits").GetDouble() is >= 2 and <= 8);
                var package = ModelPackage.Load(Path.Combine(folder.File("sweep"), $"bits-{point.GetProperty("target").GetDouble()}", "model.qunet"));
                Assert.AreEqual(IntegerModelFile.Serialize(package.IntegerModel!).Length,
                    point.GetProperty("integerModelBytes").GetInt64());
            }
        }
        Assert.AreEqual((1000, 700), PngSize(Path.Combine(folder.File("sweep"), "figures", "front.png")));

        var again = CommandRunner.Run(sweep);

        Assert.AreEqual(0, again.ExitCode, again.Output + again.Error);
        Assert.IsFalse(again.Output.Contains("epoch", StringComparison.Ordinal), "a finished sweep trains nothing: " + again.Output);
        StringAssert.Contains(again.Output, "wrote");

        var changed = CommandRunner.Run([.. sweep, "--seed", "2"]);

        Assert.AreEqual(1, changed.ExitCode, changed.Output);
        StringAssert.Contains(changed.Error, "holds a sweep with other settings (Seed: 1 there, 2 now)");
    }

    [TestMethod]
    public void ASweepTakesTrainsRecipeAndSavesEveryRunsEpochs()
    {
        using var folder = new TempFolder("quantunet-sweep-recipe");

        RunTinySweep(folder, "4", "--save-epochs", "--lambda", "0.5", "--schedule", "Constant");

        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.File("sweep"), "sweep.json")));
        var recipe = report.RootElement.GetProperty("recipe");
        Assert.AreEqual(0.5, recipe.GetProperty("lambda").GetDouble());
        Assert.AreEqual("Constant", recipe.GetProperty("learningRateSchedule").GetString());
        string Epochs(string run) => Path.Combine(folder.File("sweep"), run, "epochs");
        Assert.AreSequenceEqual(new[] { "float-01.qunet", "float-02.qunet" }, Directory.GetFiles(Epochs("float")).Select(Path.GetFileName).Order());
        Assert.AreSequenceEqual(new[] { "quant-01.qunet" }, Directory.GetFiles(Epochs("bits-4")).Select(Path.GetFileName));
        // The point's one epoch is the one it kept, so its saved epoch holds its integer model (the metadata, times and scores aside).
        var kept = ModelPackage.Load(Path.Combine(folder.File("sweep"), "bits-4", "model.qunet")).IntegerModel!;
        var saved = ModelPackage.Load(Path.Combine(Epochs("bits-4"), "quant-01.qunet")).IntegerModel!;
        Assert.AreSequenceEqual(IntegerModelFile.Serialize(kept), IntegerModelFile.Serialize(new IntegerModel(saved.Header, saved.Layers, kept.Metadata)));
    }

    [TestMethod]
    public void APointBegunWithOtherDefaultsContinuesWithItsOwn()
    {
        using var folder = new TempFolder("quantunet-sweep-older");
        var (sweep, _) = RunTinySweep(folder, "3");

        // What a point begun by an older build looks like to this one: its result not yet written, its checkpoint holding
        // options and an architecture that are not today's defaults (a quarter of QAT frozen; activation widths floored at 2).
        var point = Path.Combine(folder.File("sweep"), "bits-3");
        File.Delete(Path.Combine(point, "result.json"));
        var checkpoint = TrainingCheckpoint.LoadFrom(point);
        var olderOptions = checkpoint.Options with { FrozenWidthFraction = 0.25 };
        var olderArchitecture = checkpoint.Architecture with { Quantization = checkpoint.Architecture.Quantization with { ActivationBits = new(Min: 2) } };
        Assert.AreNotEqual(checkpoint.Options, olderOptions, "0.25 must not be today's default, or this test proves nothing");
        Assert.AreNotEqual(checkpoint.Architecture, olderArchitecture, "nor 2 bits");
        (checkpoint with { Options = olderOptions, Architecture = olderArchitecture }).SaveIn(point);

        var again = CommandRunner.Run(sweep);

        Assert.AreEqual(0, again.ExitCode, again.Output + again.Error);
        StringAssert.Contains(again.Output, "resuming from");
        Assert.IsTrue(File.Exists(Path.Combine(point, "result.json")), "the point's result is written again");
        var after = TrainingCheckpoint.LoadFrom(point);
        Assert.AreEqual(olderOptions, after.Options, "the point continued with options other than its checkpoint's");
        Assert.AreEqual(olderArchitecture, after.Architecture with { Quantize = olderArchitecture.Quantize });
    }

    [TestMethod]
    [DataRow("4,9", "--targets 4,9: 9: the average weight bits to aim for must lie in the learnable range, 2 to 8.")]
    [DataRow("4,x", "--targets 4,x: 'x' is not a number; write bit budgets separated by commas, e.g. 8,6,4,3,2.")]
    [DataRow("4,4", "--targets 4,4: 4 appears twice.")]
    public void BadTargetsAreRefusedBeforeAnyDataIsRead(string targets, string message)
    {
        using var folder = new TempFolder("quantunet-sweep-targets");

        var result = CommandRunner.Run("sweep", "--data", folder.File("no-such-data"), "--out", folder.File("out"), "--targets", targets);

        Assert.AreEqual(1, result.ExitCode, result.Output);
        Assert.AreEqual($"quantunet: {message}", result.Error.TrimEnd('\n'));
        Assert.IsFalse(Directory.Exists(folder.File("out")));
    }

    [TestMethod]
    public void TargetsAreReadAsCommaSeparatedBitBudgets()
    {
        Assert.AreSequenceEqual(new[] { 8, 6, 4.24, 2 }, Commands.SweepCommand.Targets("8, 6,4.24,2", "--targets"));
        Assert.AreEqual("bits-4.24", Sweep.SweepRun.PointFolder(4.24));
    }

    private static (int Width, int Height) PngSize(string path)
    {
        var header = File.ReadAllBytes(path).AsSpan(16, 8);
        return (BinaryPrimitives.ReadInt32BigEndian(header), BinaryPrimitives.ReadInt32BigEndian(header[4..]));
    }
}
