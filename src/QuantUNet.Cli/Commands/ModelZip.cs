using Microsoft.ML;
using QuantUNet.Data;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Commands;

/// <summary>The ML.NET model zip of a trained model, so <c>mlContext.Model.Load</c> picks up what <c>quantunet train</c> made.</summary>
internal static class ModelZip
{
    public const string FileName = "model.zip";

    /// <summary>
    /// Writes the zip of the model file at <paramref name="modelFile"/> for <paramref name="size"/>-pixel square images,
    /// scoring with the integer engine when the model is quantized (as <c>evaluate</c> does by default).
    /// </summary>
    public static void Save(string modelFile, bool quantized, int size, string path)
    {
        var mlContext = new MLContext(seed: 0);
        var columns = new QuantUNetTrainer.Options { ScoringMode = quantized ? ScoringMode.Integer : ScoringMode.Float };
        using var transformer = mlContext.Segmentation().FromModelFile(modelFile, size, size, columns);
        using var zip = new MemoryStream();
        mlContext.Model.Save(transformer, inputSchema: null, zip);
        AtomicFile.WriteAllBytes(path, zip.ToArray());
    }
}
