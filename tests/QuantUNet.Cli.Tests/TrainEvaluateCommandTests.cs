using System.Text.Json;
using QuantUNet.Data;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class TrainEvaluateCommandTests
{
    private const int Slices = 48, SlicesPerPatient = 8;

    /// <summary>Synthetic slices in per-patient folders, so that the folder rule gives each patient one group.</summary>
    private static void WriteDataset(string folder)
    {
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), SlicesPerPatient = SlicesPerPatient, Seed = 3 });
        ImageFolderDataset.Write(generator.Generate(Slices).Select(s => s with { Name = $"{s.GroupId}/{s.Name}" }), folder);
    }

    [TestMethod]
    public void TrainWritesTheModelsAndRecordsAndEvaluateScoresEveryImage()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-train").FullName;
        try
        {
            string data = Path.Combine(directory, "data"), run = Path.Combine(directory, "run");
            WriteDataset(data);
            var train = CommandRunner.Run("train", "--data", data, "--out", run, "--size", "32", "--width", "4", "--epochs", "2", "--batch", "8", "--threads", "2");
            Assert.AreEqual(0, train.ExitCode, train.Output + train.Error);
            foreach (var file in new[] { "model.zip", "train.json" })
                Assert.IsTrue(File.Exists(Path.Combine(run, file)), $"{file} missing");

            using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "train.json")));
            var root = report.RootElement;
            Assert.AreEqual(1, root.GetProperty("warmStartEpoch").GetInt32());
            var epochs = root.GetProperty("epochRecords");
            Assert.AreEqual(2, epochs.GetArrayLength(), "one float warm-start epoch and one QAT epoch");
            Assert.AreEqual("quant", epochs[1].GetProperty("model").GetString());
            foreach (var field in new[] { "loss.total", "loss.binaryCrossEntropy", "loss.dice", "loss.bitwidth", "validation.dice", "validation.iou", "validation.pixelAccuracy", "averageWeightBits", "sizeWeightedWeightBits" })
                Assert.IsTrue(Field(epochs[1], field).ValueKind == JsonValueKind.Number, field);
            var split = root.GetProperty("split");
            Assert.AreEqual(5, split.GetProperty("trainingPatients").GetArrayLength());
            Assert.AreEqual(1, split.GetProperty("validationPatients").GetArrayLength());
            Assert.AreEqual(SlicesPerPatient, split.GetProperty("validationImages").GetInt32());
            var layers = Field(root, "bits.layers");
            Assert.IsGreaterThan(0, layers.GetArrayLength());
            foreach (var layer in layers.EnumerateArray())
                Assert.IsTrue(layer.GetProperty("weightBits").GetInt32() is >= 2 and <= 8);

            var dice = new Dictionary<string, double>();
            foreach (var (mode, model) in new[] { ("integer", run), ("fakequant", run), ("integer", Path.Combine(run, "model.zip")) })
            {
                var output = Path.Combine(directory, $"{mode}-{Path.GetFileName(model)}");
                var evaluate = CommandRunner.Run("evaluate", "--model", model, "--data", data, "--out", output, "--mode", mode, "--threads", "2");
                Assert.AreEqual(0, evaluate.ExitCode, evaluate.Output + evaluate.Error);
                using var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "metrics.json")));
                var figures = metrics.RootElement;
                foreach (var field in new[] { "dice", "meanDice", "meanGroupDice", "iou", "pixelAccuracy", "precision", "recall", "hd95" })
                    Assert.IsTrue(figures.TryGetProperty(field, out _), $"{mode}: {field} missing");
                Assert.AreEqual(mode, figures.GetProperty("mode").GetString());
                Assert.AreEqual(Slices, figures.GetProperty("images").GetInt32());
                Assert.AreEqual(Slices / SlicesPerPatient, figures.GetProperty("groups").GetInt32());
                Assert.AreEqual(32, figures.GetProperty("imageSize").GetInt32(), "the trained side, from the model file");
                double modelDice = figures.GetProperty("dice").GetDouble();
                if (mode == "integer" && dice.TryGetValue(mode, out double folderDice))
                    Assert.AreEqual(folderDice, modelDice, "the ML.NET zip holds the same integer model as the folder");
                dice[mode] = modelDice;
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void AMissingDataFolderFailsWithOneLineNamingIt()
    {
        var directory = Directory.CreateTempSubdirectory("quantunet-train").FullName;
        try
        {
            var missing = Path.Combine(directory, "no-such-data");
            var result = CommandRunner.Run("train", "--data", missing, "--out", Path.Combine(directory, "run"));
            Assert.AreEqual(1, result.ExitCode);
            StringAssert.Contains(result.Error, $"{missing}: dataset folder not found.");
            Assert.AreEqual(1, result.Error.Trim().Split('\n').Length, $"one line, no stack trace: {result.Error}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static JsonElement Field(JsonElement element, string path) =>
        path.Split('.').Aggregate(element, (e, name) => e.GetProperty(name));
}
