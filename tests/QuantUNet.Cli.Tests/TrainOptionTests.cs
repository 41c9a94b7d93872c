using System.Text.Json;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Tests;

/// <summary>train's options checked before any data is read, and the channel count taken from the data.</summary>
[TestClass]
public sealed class TrainOptionTests
{
    [TestMethod]
    public void TargetBitsWithFloatIsRefused()
    {
        using var folder = new TempFolder("quantunet-train-options");

        var result = CommandRunner.Run("train", "--data", folder.File("no-such-data"), "--out", folder.File("out"), "--float", "--target-bits", "4");

        Assert.AreEqual(1, result.ExitCode, result.Output);
        StringAssert.Contains(result.Error, "--target-bits is a bit budget for QuantU-Net");
    }

    [TestMethod]
    public void EachNamedRecipeOptionDescribesEveryValueOfItsKind()
    {
        var flags = new QuantUNet.Cli.Commands.RecipeFlags();
        foreach (var (option, kind) in new (System.CommandLine.Option, Type)[]
                 { (flags.BitwidthLoss, typeof(BitwidthLossKind)), (flags.Schedule, typeof(LearningRateScheduleKind)), (flags.Augmentation, typeof(AugmentationKind)) })
            foreach (var name in Enum.GetNames(kind))
                StringAssert.Contains(option.Description, name, $"{option.Name}'s help does not name {name}");

        var help = CommandRunner.Run("train", "--help").Output;
        StringAssert.Contains(help, $"[default: {new TrainingOptions().LearningRateSchedule}]");
    }

    [TestMethod]
    [DataRow("--lambda", "0.5")]
    [DataRow("--frozen-share", "0.25")]
    public void QuantizationSettingsWithFloatAreRefused(string option, string value)
    {
        using var folder = new TempFolder("quantunet-train-options");

        var result = CommandRunner.Run("train", "--data", folder.File("no-such-data"), "--out", folder.File("out"), "--float", option, value);

        Assert.AreEqual(1, result.ExitCode, result.Output);
        Assert.AreEqual($"quantunet: {option} sets QuantU-Net's quantization-aware training; the float U-Net (--float) has none.", result.Error.TrimEnd('\n'));
    }

    [TestMethod]
    public void TheRecipeGivenIsTheOneTrainedAndReported()
    {
        using var folder = new TempFolder("quantunet-recipe");
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(16), SlicesPerPatient = 4, Seed = 3 });
        ImageFolderDataset.Write(generator.Generate(12).Select(s => s with { Name = $"{s.GroupId}/{s.Name}" }), folder.File("data"));

        var result = CommandRunner.Run("train", "--data", folder.File("data"), "--out", folder.File("run"), "--size", "16", "--width", "2", "--epochs", "3",
            "--batch", "4", "--threads", "1", "--lambda", "0", "--schedule", "constant", "--qat-rate-factor", "0.5", "--settled-share", "1", "--augmentation", "None");

        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.File("run"), "train.json")));
        var recipe = report.RootElement.GetProperty("recipe");
        var library = new TrainingOptions();
        Assert.AreEqual(0, recipe.GetProperty("lambda").GetDouble());
        Assert.AreEqual("Constant", recipe.GetProperty("learningRateSchedule").GetString());
        Assert.AreEqual("None", recipe.GetProperty("augmentation").GetString());
        Assert.AreEqual(1, recipe.GetProperty("settledEpochFraction").GetDouble());
        Assert.AreEqual(library.FrozenWidthFraction, recipe.GetProperty("frozenWidthFraction").GetDouble(), "a setting not given is the library's");
        Assert.AreEqual(library.BitwidthLoss.ToString(), recipe.GetProperty("bitwidthLoss").GetString());
        // The constant schedule and the QAT share reach the optimizer: every float epoch at the rate, every QAT epoch at half of it.
        var rates = report.RootElement.GetProperty("epochRecords").EnumerateArray()
            .Select(e => (Model: e.GetProperty("model").GetString(), Rate: e.GetProperty("learningRate").GetDouble())).ToList();
        CollectionAssert.AreEqual(new[] { ("float", 1e-3), ("float", 1e-3), ("quant", 5e-4) }, rates.Select(r => (r.Model, Math.Round(r.Rate, 12))).ToArray());
        // The run's stored settings carry the recipe, so that a resumed run and its checkpoint's check see it.
        var stored = TrainingCheckpoint.LoadFrom(folder.File("run")).CallerSettings!.Value.GetProperty("Recipe");
        Assert.AreEqual(0, stored.GetProperty("Lambda").GetDouble());
        Assert.IsFalse(stored.TryGetProperty("FrozenWidthFraction", out _), "a setting not given is not stored, so the library's default applies");
    }

    [TestMethod]
    public void EveryRecipeSettingReachesTheLibrarysOptionOfItsName()
    {
        var library = new TrainingOptions();
        foreach (var property in typeof(TrainingRecipe).GetProperties().Where(p => p.Name != nameof(TrainingRecipe.IsDefault)))
        {
            var target = typeof(TrainingOptions).GetProperty(property.Name) ?? throw new AssertFailedException($"TrainingOptions has no {property.Name}");
            object changed = target.GetValue(library) switch
            {
                double d => d / 2 + 0.125,
                Enum e => Enum.GetValues(e.GetType()).Cast<object>().First(v => !v.Equals(e)),
                var other => throw new AssertFailedException($"{property.Name}: no test value for {other}"),
            };
            var recipe = new TrainingRecipe();
            property.SetValue(recipe, changed);

            var options = recipe.ApplyTo(library);

            Assert.AreEqual(changed, target.GetValue(options), $"--{property.Name} does not reach TrainingOptions.{property.Name}");
            var restored = options with { };
            target.SetValue(restored, target.GetValue(library));
            Assert.AreEqual(library, restored, $"--{property.Name} changes another setting too");
            Assert.AreEqual(changed, property.GetValue(TrainingRecipe.Of(options)), $"the report does not hold {property.Name}");
        }
    }

    [TestMethod]
    public void ARunGivenNoRecipeStoresNoneSoOlderRunsStillMatch()
    {
        var stored = TrainingCheckpoint.LoadFrom(TinyRuns.Quantized).CallerSettings!.Value;

        Assert.IsFalse(stored.TryGetProperty("Recipe", out _), stored.ToString());
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
