using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// One model, one scoring path: the ML.NET transformer and <c>quantunet evaluate</c> / <c>predict</c> give the same masks
/// and the same metrics in each mode, and an ML.NET-trained zip is evaluated at its own size.
/// </summary>
[TestClass]
public sealed class OneScoringPathTests
{
    private const int Side = 32;

    private sealed class Row
    {
        public float[] Image { get; set; } = [];

        public byte[] Label { get; set; } = [];

        public string Patient { get; set; } = "";
    }

    [TestMethod]
    [DataRow("integer", ScoringMode.Integer)]
    [DataRow("fakequant", ScoringMode.FakeQuantized)]
    [DataRow("float", ScoringMode.Float)]
    public void TransformerAndTheVerbsGiveTheSameMasksAndMetrics(string modeName, ScoringMode mode)
    {
        using var folder = new TempFolder("quantunet-onepath");
        var evaluated = CommandRunner.Run("evaluate", "--model", TinyRuns.Quantized, "--data", TinyRuns.Data, "--out", folder.File("eval"), "--mode", modeName, "--threads", "1");
        Assert.AreEqual(0, evaluated.ExitCode, evaluated.Output + evaluated.Error);
        var predicted = CommandRunner.Run("predict", "--model", TinyRuns.Quantized, "--input", Path.Combine(TinyRuns.Data, ImageFolderDataset.ImagesFolder),
            "--out", folder.File("masks"), "--mode", modeName, "--threads", "1");
        Assert.AreEqual(0, predicted.ExitCode, predicted.Output + predicted.Error);

        var (samples, metrics, masks) = TransformerScores(mode, Side);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.File("eval"), "metrics.json")));
        var cli = json.RootElement;
        Assert.AreEqual(modeName, cli.GetProperty("mode").GetString());
        Assert.AreEqual(samples.Count, cli.GetProperty("images").GetInt32());
        Assert.AreEqual(metrics.Dice, cli.GetProperty("dice").GetDouble(), 0, "pooled Dice");
        Assert.AreEqual(metrics.IoU, cli.GetProperty("iou").GetDouble(), 0, "IoU");
        Assert.AreEqual(metrics.MeanGroupDice, cli.GetProperty("meanGroupDice").GetDouble(), 0, "per-patient Dice");

        for (int i = 0; i < samples.Count; i++)
        {
            var written = ImageFile.ReadMask(Path.Combine(folder.File("masks"), samples[i].Name + PredictCommandSuffix));
            CollectionAssert.AreEqual(masks[i].Select(m => m ? (byte)1 : (byte)0).ToArray(), written.Pixels, $"mask of {samples[i].Name}");
        }
    }

    [TestMethod]
    public void EvaluateScoresAtASideThatIsNotAMultipleOf16AsTheIntegerEngineDoes()
    {
        const int side = 40; // padded to 48 for the network, outputs cropped back (QuantUNet.Integer.ImagePadding)
        using var folder = new TempFolder("quantunet-onepath-40");
        var evaluated = CommandRunner.Run("evaluate", "--model", TinyRuns.Quantized, "--data", TinyRuns.Data, "--out", folder.File("eval"),
            "--size", $"{side}", "--mode", "integer", "--threads", "1");
        Assert.AreEqual(0, evaluated.ExitCode, evaluated.Output + evaluated.Error);

        // The engine on its own, given the 40x40 images as they are: it pads and crops itself.
        var engine = new IntegerEngine(ModelPackage.Load(ModelPackage.ModelFileIn(TinyRuns.Quantized)).IntegerModel!);
        var samples = ImageFolderDataset.Load(TinyRuns.Data, new ImageFolderDataset.Options { Size = ImageSize.Square(side), Channels = engine.InputChannels });
        long overlap = 0, predictedPixels = 0, truePixels = 0, agreeing = 0;
        var mask = new byte[side * side];
        foreach (var sample in samples)
        {
            engine.Predict(sample.Image, side, side, mask);
            for (int i = 0; i < mask.Length; i++)
            {
                overlap += mask[i] & sample.Mask[i];
                predictedPixels += mask[i];
                truePixels += sample.Mask[i];
                agreeing += mask[i] == sample.Mask[i] ? 1 : 0;
            }
        }
        // The 2-epoch width-4 model predicts little or no foreground at a side it was not trained at, so the pixel accuracy
        // carries the comparison; AnyImageSizeTests (MLNet) and ImagePaddingTests (Integer) check the padded scores themselves.

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.File("eval"), "metrics.json")));
        Assert.AreEqual(side, json.RootElement.GetProperty("imageSize").GetInt32());
        Assert.AreEqual(samples.Count, json.RootElement.GetProperty("images").GetInt32());
        Assert.AreEqual(2.0 * overlap / (predictedPixels + truePixels), json.RootElement.GetProperty("dice").GetDouble(), 1e-12, "pooled Dice");
        Assert.AreEqual((double)agreeing / (samples.Count * side * side), json.RootElement.GetProperty("pixelAccuracy").GetDouble(), 1e-12, "pixel accuracy");
    }

    /// <summary>The tiny quantized run scored by the ML.NET transformer in <paramref name="mode"/> on its data resized to <paramref name="side"/>.</summary>
    private static (IReadOnlyList<SegmentationSample> Samples, SegmentationMetrics Metrics, List<bool[]> Masks) TransformerScores(ScoringMode mode, int side)
    {
        var ml = new MLContext(seed: 0);
        using var transformer = ml.Segmentation().LoadModel(TinyRuns.Quantized).WithScoringMode(mode);
        var samples = ImageFolderDataset.Load(TinyRuns.Data, new ImageFolderDataset.Options { Size = ImageSize.Square(side), Channels = transformer.ImageChannels });
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, transformer.ImageChannels, side, side);
        schema[nameof(Row.Label)].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, side, side);
        var data = ml.Data.LoadFromEnumerable(samples.Select(s => new Row { Image = s.Image, Label = s.Mask, Patient = s.GroupId }).ToList(), schema);
        var scored = transformer.Transform(data);
        var metrics = ml.Segmentation().Evaluate(scored, labelColumnName: nameof(Row.Label), groupColumnName: nameof(Row.Patient));
        return (samples, metrics, scored.GetColumn<bool[]>(transformer.PredictedLabelColumnName).ToList());
    }

    /// <summary>predict writes NAME_mask.png beside the mirrored input path.</summary>
    private const string PredictCommandSuffix = "_mask.png";

    [TestMethod]
    public void ZipOfTheMLNetTrainerIsEvaluatedAtItsOwnSize()
    {
        using var folder = new TempFolder("quantunet-mlzip");
        const int size = 64;
        var samples = new SyntheticMriGenerator(new() { Size = ImageSize.Square(size), Seed = 3, SlicesPerPatient = 4 }).Generate(8);
        ImageFolderDataset.Write(samples, folder.File("data"));
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, size, size);
        schema[nameof(Row.Label)].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, size, size);
        var data = ml.Data.LoadFromEnumerable(samples.Select(s => new Row { Image = s.Image, Label = s.Mask, Patient = s.GroupId }).ToList(), schema);
        // A chain, as the README's pipelines save it: the QuantU-Net transformer last.
        var pipeline = ml.Transforms.CopyColumns("Original", nameof(Row.Image))
            .Append(ml.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options { BaseWidth = 2, Epochs = 1, FloatWarmStartEpochs = 0, BatchSize = 4, Seed = 1, Threads = 1 }));
        var model = pipeline.Fit(data);
        ml.Model.Save(model, data.Schema, folder.File("model.zip"));

        var result = CommandRunner.Run("evaluate", "--model", folder.File("model.zip"), "--data", folder.File("data"), "--out", folder.File("eval"), "--threads", "1");

        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.File("eval"), "metrics.json")));
        Assert.AreEqual(size, json.RootElement.GetProperty("imageSize").GetInt32());
        Assert.AreEqual("integer", json.RootElement.GetProperty("mode").GetString());
    }
}
