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
    private static float[] _expectedInteger = [];
    private static bool[] _integerMaskOfFirstRow = [];
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
        // Saved in the TorchSharp mode, so that the default row checks TorchSharp scoring across processes too.
        var options = TestData.TinyOptions();
        options.ScoringMode = ScoringMode.FakeQuantized;
        using var model = (TransformerChain<QuantUNetTransformer>)TestData.FilePipeline(mlContext, options).Fit(train);
        _expected = [.. model.Transform(mlContext.Data.LoadFromEnumerable(_rows)).GetColumn<float[]>("Score").SelectMany(s => s)];
        using var integer = new TransformerChain<ITransformer>([.. model.Take(model.Count() - 1), model.LastTransformer.WithScoringMode(ScoringMode.Integer)]);
        var scoredInteger = integer.Transform(mlContext.Data.LoadFromEnumerable(_rows));
        _expectedInteger = [.. scoredInteger.GetColumn<float[]>("Score").SelectMany(s => s)];
        _integerMaskOfFirstRow = scoredInteger.GetColumn<bool[]>("PredictedLabel").First();
        _modelPath = _folder.File("model.zip");
        mlContext.Model.Save(model, train.Schema, _modelPath);
    }

    [ClassCleanup]
    public static void CleanUp() => _folder.Dispose();

    [TestMethod]
    [DataRow(null, "FakeQuantized", DisplayName = "ModelLoadedInAnotherProcessScoresBitForBit (saved mode)")]
    [DataRow("Integer", "Integer", DisplayName = "ModelLoadedInAnotherProcessScoresBitForBit (integer mode)")]
    public void ModelLoadedInAnotherProcessScoresBitForBit(string? requestedMode, string scoredMode)
    {
        string input = _folder.File($"input-{scoredMode}.tsv");
        File.WriteAllLines(input, ["ImagePath\tMaskPath", .. _rows.Select(r => $"{r.ImagePath}\t{r.MaskPath}")]);
        string output = _folder.File($"scores-{scoredMode}.bin");

        var (exitCode, stdout, stderr) = RunDotnet(ScoreHelper, [_modelPath, input, output, .. requestedMode is null ? Array.Empty<string>() : [requestedMode]]);

        Assert.AreEqual(0, exitCode, stderr);
        StringAssert.Contains(stdout, $"scoring mode {scoredMode}");
        var expected = requestedMode is null ? _expected : _expectedInteger;
        CollectionAssert.AreEqual(Bits(expected), Bits(ReadFloats(output)));
    }

    [TestMethod]
    public void ScoringOnlyExampleWritesMasksOfTheSavedModel()
    {
        string masks = _folder.File("example-masks");

        var (exitCode, stdout, stderr) = RunDotnet(IntegerScoringExample.Dll, _modelPath, _rows[0].ImagePath, masks);

        Assert.AreEqual(0, exitCode, stderr);
        StringAssert.Contains(stdout, "scoring mode Integer");
        string mask = Path.Combine(masks, Path.GetFileNameWithoutExtension(_rows[0].ImagePath) + "-mask.png");
        CollectionAssert.AreEqual(_integerMaskOfFirstRow, QuantUNet.Data.ImageFile.ReadMask(mask).Pixels.Select(p => p != 0).ToArray(),
            "the PNG holds the integer mode's mask");
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
        Assert.HasCount(23, transformer.Description.Layers);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void LoadingWithoutRegisteringSaysWhatToCall()
    {
        var error = Assert.Throws<Exception>(() => new MLContext().Model.Load(_modelPath, out _));

        StringAssert.Contains(AllMessages(error), "call mlContext.Segmentation()");
    }

    /// <summary>
    /// A host that makes its own MLContext and never calls Segmentation(), in a process of its own: ML.NET cannot find the
    /// loader (it keeps loaders per MLContext, and its registration attribute is internal), so the load fails, with the
    /// message saying what to call as the innermost exception under ML.NET's two reflection wrappers. The same MLContext
    /// then loads once Segmentation() was called on it. If ML.NET ever finds the loader by itself, or stops wrapping, this
    /// test fails and says so: then the README's "How saving and loading work" is out of date.
    /// </summary>
    [TestMethod]
    public void FreshProcessLoadingWithoutSegmentationSaysWhatToCallThenLoads()
    {
        var (exitCode, stdout, stderr) = RunDotnet(ScoreHelper, "--load-without-segmentation", _modelPath);

        Assert.AreEqual(0, exitCode, $"{stdout}\n{stderr}");
        string[] chain = [.. stdout.Split('\n').Where(l => l.StartsWith("chain: ", StringComparison.Ordinal)).Select(l => l.TrimEnd('\r'))];
        Assert.HasCount(3, chain, stdout);
        StringAssert.StartsWith(chain[0], "chain: System.Reflection.TargetInvocationException: ");
        StringAssert.StartsWith(chain[1], "chain: System.Reflection.TargetInvocationException: ");
        StringAssert.StartsWith(chain[2], "chain: System.InvalidOperationException: " + UnregisteredLoaderFactory.Message);
        StringAssert.Contains(stdout, "loaded after Segmentation(): 1 QuantU-Net transformer");
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

    private static string ScoreHelper => Path.Combine(AppContext.BaseDirectory, "QuantUNet.MLNet.ScoreHelper.dll");

    /// <summary>Runs an app in a process of its own, as a user would.</summary>
    private static (int ExitCode, string Output, string Error) RunDotnet(string dll, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(dll)} did not finish in 2 minutes");
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
