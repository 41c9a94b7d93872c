using QuantUNet.Data;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// A tiny QuantU-Net and a tiny float U-Net trained once by the real <c>train</c> verb (32x32, width 4, 2 epochs, six
/// synthetic patients of 8 slices), shared by the predict and report tests.
/// </summary>
[TestClass]
public static class TinyRuns
{
    private static readonly Lazy<TempFolder> Folder = new(Train);

    public static string Quantized => Folder.Value.File("quant");
    public static string Float => Folder.Value.File("float");

    /// <summary>The 32x32 slices both were trained on, in the images/ + masks/ layout.</summary>
    public static string Data => Folder.Value.File("data");

    [AssemblyCleanup]
    public static void Delete()
    {
        if (Folder.IsValueCreated) Folder.Value.Dispose();
    }

    private static TempFolder Train()
    {
        var folder = new TempFolder("quantunet-tiny");
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), SlicesPerPatient = 8, Seed = 5 });
        ImageFolderDataset.Write(generator.Generate(48).Select(s => s with { Name = $"{s.GroupId}/{s.Name}" }), folder.File("data"));
        foreach (var (name, extra) in new[] { ("quant", Array.Empty<string>()), ("float", ["--float"]) })
        {
            var result = CommandRunner.Run(["train", "--data", folder.File("data"), "--out", folder.File(name),
                "--size", "32", "--width", "4", "--epochs", "2", "--batch", "8", "--threads", "2", .. extra]);
            Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        }
        return folder;
    }
}
