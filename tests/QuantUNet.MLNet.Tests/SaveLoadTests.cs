using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary>One model fitted on 8 slices, scored on 3 more and saved, for the whole class.</summary>
[TestClass]
public sealed class SaveLoadTests
{
    private static TempFolder _folder = null!;
    private static float[] _expected = [];
    private static string _modelPath = "";
    private static List<TestData.PathRow> _rows = [];

    [ClassInitialize]
    public static void FitAndSave(TestContext context)
    {
        _folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var rows = TestData.WriteFiles(_folder.Path, 11);
        var train = mlContext.Data.LoadFromEnumerable(rows.Take(8));
        _rows = [.. rows.Skip(8)];
        using var model = (TransformerChain<QuantUNetTransformer>)TestData.FilePipeline(mlContext, TestData.TinyOptions()).Fit(train);
        _expected = [.. model.Transform(mlContext.Data.LoadFromEnumerable(_rows)).GetColumn<float[]>("Score").SelectMany(s => s)];
        _modelPath = _folder.File("model.zip");
        mlContext.Model.Save(model, train.Schema, _modelPath);
    }

    [ClassCleanup]
    public static void CleanUp() => _folder.Dispose();

    [TestMethod]
    public void ModelLoadedInAnotherProcessScoresBitForBit()
    {
        string input = _folder.File("input.tsv");
        File.WriteAllLines(input, ["ImagePath\tMaskPath", .. _rows.Select(r => $"{r.ImagePath}\t{r.MaskPath}")]);
        string output = _folder.File("scores.bin");

        var (exitCode, stdout, stderr) = RunHelper(_modelPath, input, output);

        Assert.AreEqual(0, exitCode, stderr);
        StringAssert.Contains(stdout, "scoring mode FakeQuantized");
        CollectionAssert.AreEqual(Bits(_expected), Bits(ReadFloats(output)));
    }

    [TestMethod]
    public void ModelLoadedInAFreshContextScoresBitForBit()
    {
        var mlContext = new MLContext();
        mlContext.Segmentation();

        var loaded = mlContext.Model.Load(_modelPath, out _);
        var scores = loaded.Transform(mlContext.Data.LoadFromEnumerable(_rows)).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();

        CollectionAssert.AreEqual(Bits(_expected), Bits(scores));
        var transformer = ((TransformerChain<ITransformer>)loaded).OfType<QuantUNetTransformer>().Single();
        Assert.HasCount(23, transformer.Summary.Layers);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void LoadingWithoutRegisteringSaysWhatToCall()
    {
        var error = Assert.Throws<Exception>(() => new MLContext().Model.Load(_modelPath, out _));

        StringAssert.Contains(AllMessages(error), "call mlContext.Segmentation()");
    }

    [TestMethod]
    public void CorruptedWeightsAreRefused()
    {
        string modelPath = _folder.File("corrupted.zip");
        File.Copy(_modelPath, modelPath);
        using (var zip = ZipFile.Open(modelPath, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("QuantUNet.bin", StringComparison.Ordinal));
            using var stream = entry.Open();
            stream.Position = 100;
            int value = stream.ReadByte();
            stream.Position = 100;
            stream.WriteByte((byte)~value);
        }
        var mlContext = new MLContext();
        mlContext.Segmentation();

        var error = Assert.Throws<Exception>(() => mlContext.Model.Load(modelPath, out _));

        StringAssert.Contains(AllMessages(error), "checksum mismatch");
    }

    private static (int ExitCode, string Output, string Error) RunHelper(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "QuantUNet.MLNet.ScoreHelper.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the score helper did not finish in 2 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    private static string AllMessages(Exception? error)
    {
        var messages = new List<string>();
        for (; error is not null; error = error.InnerException)
            messages.Add(error.Message);
        return string.Join(" | ", messages);
    }
}
