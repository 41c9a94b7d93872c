using Microsoft.ML;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Commands;

/// <summary>The ML.NET model zip of a trained model: the one model file <c>quantunet train</c> leaves, loaded by <c>mlContext.Model.Load</c> as it is.</summary>
internal static class ModelZip
{
    public const string FileName = "model.zip";

    /// <summary>Writes the zip of <paramref name="package"/>, scoring in <see cref="SegmentationScorer.DefaultMode"/>.</summary>
    public static void Save(ModelPackage package, string path)
    {
        var mlContext = new MLContext(seed: 0);
        using var transformer = mlContext.Segmentation().FromPackage(package);
        AtomicFile.Write(path, stream => mlContext.Model.Save(transformer, inputSchema: null, stream));
    }
}
