using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Cli.Commands;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Cli.Tests;

/// <summary>The model package: one file whatever the door, read from streams, consistent, and older files still load.</summary>
[TestClass]
public sealed class ModelPackageTests
{
    private static string PreviousFormat(string name) => Path.Combine(AppContext.BaseDirectory, "PreviousFormat", name);

    [TestMethod]
    public void TrainLeavesOneModelFileThatEveryLoaderReads()
    {
        var modelFiles = Directory.GetFiles(TinyRuns.Quantized).Where(f => !RunFolderLock.IsLockFile(f)).Select(Path.GetFileName).Where(n => n != "train.json" && n != TrainingCheckpoint.FileName).ToList();
        CollectionAssert.AreEqual(new[] { "model.zip" }, modelFiles);

        var package = ModelPackage.Load(TinyRuns.Quantized);
        var ml = new MLContext(seed: 0);
        ml.Segmentation();
        var loaded = (QuantUNetTransformer)ml.Model.Load(Path.Combine(TinyRuns.Quantized, "model.zip"), out _);
        CollectionAssert.AreEqual(package.ToBytes(), loaded.Package.ToBytes(), "ML.NET's loader and the TorchSharp-free one read the same package");
        Assert.AreEqual(32, package.Description.ImageHeight);
        Assert.IsNotNull(package.IntegerModel);
        Assert.AreEqual(ScoringMode.Integer, loaded.ScoringMode);
        Assert.IsTrue(package.Description.Training.Metrics.ContainsKey("validationDice"), "the validation figures are in the training record");
        CollectionAssert.AreEquivalent(package.Description.Training.Metrics.ToList(), package.IntegerModel.Metadata.Metrics.ToList(),
            "the integer model's metadata carries the same training record as the description");
        Assert.AreEqual(package.Description.Training.Seed, package.IntegerModel.Metadata.Seed);
    }

    [TestMethod]
    public void LoadingFromAStreamWritesNoFile()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TinyRuns.Quantized, "model.zip"));
        var before = TemporaryFiles();

        var package = ModelPackage.Load(new MemoryStream(bytes), "zip in memory");
        var ml = new MLContext(seed: 0);
        using var transformer = ml.Segmentation().LoadModel(new MemoryStream(bytes)).WithScoringMode(ScoringMode.FakeQuantized);
        using var scorer = SegmentationScorer.Create(transformer.Package, ScoringMode.FakeQuantized, 32, 32);
        var masks = scorer.Masks(new float[32 * 32 * transformer.ImageChannels], 1);

        Assert.HasCount(32 * 32, masks);
        CollectionAssert.AreEqual(package.ToBytes(), transformer.Package.ToBytes());
        CollectionAssert.AreEquivalent(before, TemporaryFiles(), "loading and scoring from a stream left files in the temp folder");
    }

    /// <summary>Files (not folders: other tests make those) that QuantU-Net code wrote to the temp folder.</summary>
    private static List<string> TemporaryFiles() => [.. Directory.GetFiles(Path.GetTempPath(), "quantunet-*")];

    [TestMethod]
    public void PackageWhoseStoredWidthsDisagreeIsRefused()
    {
        var package = ModelPackage.Load(TinyRuns.Quantized);
        var layers = package.Description.Layers.ToList();
        layers[3] = layers[3] with { WeightBits = layers[3].WeightBits == 8 ? 7 : layers[3].WeightBits + 1 };
        var altered = package.Description with { Layers = layers };

        var withInteger = Assert.ThrowsExactly<InvalidDataException>(() => new ModelPackage(altered, package.TorchState, package.IntegerModel));
        StringAssert.Contains(withInteger.Message, layers[3].Name);
        var torchOnly = new ModelPackage(altered, package.TorchState, integerModel: null);
        var fromWeights = Assert.ThrowsExactly<InvalidDataException>(() => ModelFile.Network(torchOnly, "altered"));
        StringAssert.Contains(fromWeights.Message, "stored widths disagree");
    }

    [TestMethod]
    public void PackageFileRoundTripsThroughStreamsAndPaths()
    {
        using var folder = new TempFolder("quantunet-package");
        var package = ModelPackage.Load(TinyRuns.Quantized);
        package.Save(folder.File("model.qunet"));

        var reloaded = ModelPackage.Load(folder.File("model.qunet"));

        CollectionAssert.AreEqual(package.ToBytes(), reloaded.ToBytes());
        CollectionAssert.AreEqual(package.ToBytes(), File.ReadAllBytes(folder.File("model.qunet")));
    }

    [TestMethod]
    public void FilesOfThePreviousFormatsLoadAndAgree()
    {
        var fromTorchFile = ModelFile.LoadPackage(PreviousFormat("model.qunet"));
        var fromZip = ModelPackage.Load(PreviousFormat("model.zip"));
        var fromIntegerFile = ModelPackage.Load(PreviousFormat("model.qint"));

        foreach (var package in new[] { fromZip, fromIntegerFile })
        {
            CollectionAssert.AreEqual(fromTorchFile.Description.Layers.ToList(), package.Description.Layers.ToList());
            Assert.AreEqual((1, 16, 16), (package.Description.ImageChannels, package.Description.ImageHeight, package.Description.ImageWidth));
            // The previous train exported the integer model twice (model.qint, and again for the zip): the same codes, other export times.
            CollectionAssert.AreEqual(Codes(fromTorchFile), Codes(package));
        }
        CollectionAssert.AreEqual(fromTorchFile.TorchState.ToArray(), fromZip.TorchState.ToArray());

        // ML.NET's own loader reads the old zip, and it scores as the package does in both TorchSharp-free and TorchSharp modes.
        var ml = new MLContext(seed: 0);
        ml.Segmentation();
        var loaded = (QuantUNetTransformer)ml.Model.Load(PreviousFormat("model.zip"), out _);
        var images = new SyntheticMriGenerator(new() { Size = ImageSize.Square(16), Seed = 2 }).Generate(3);
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, 16, 16);
        var data = ml.Data.LoadFromEnumerable(images.Select(s => new ImageRow { Image = s.Image }).ToList(), schema);
        foreach (var mode in new[] { ScoringMode.Integer, ScoringMode.FakeQuantized })
        {
            var fromMLNet = loaded.WithScoringMode(mode).Transform(data).GetColumn<bool[]>("PredictedLabel").SelectMany(m => m).Select(m => m ? (byte)1 : (byte)0).ToArray();
            using var scorer = SegmentationScorer.Create(fromTorchFile, mode, 16, 16);
            CollectionAssert.AreEqual(scorer.Masks(images.SelectMany(s => s.Image).ToArray(), images.Count), fromMLNet, $"{mode}");
        }

        using var folder = new TempFolder("quantunet-old");
        var evaluated = CommandRunner.Run("evaluate", "--model", PreviousFormat("model.qunet"), "--data", TinyRuns.Data, "--out", folder.File("eval"), "--size", "16");
        Assert.AreEqual(0, evaluated.ExitCode, evaluated.Output + evaluated.Error);
    }

    /// <summary>The integer model's bytes without its metadata (export time and source).</summary>
    private static byte[] Codes(ModelPackage package) =>
        IntegerModelFile.Serialize(new Integer.IntegerModel(package.IntegerModel!.Header, package.IntegerModel.Layers));

    private sealed class ImageRow
    {
        public float[] Image { get; set; } = [];
    }
}
