using System.Security.Cryptography;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;

namespace QuantUNet.Batch;

/// <summary>An integer model loaded for batch scoring: its engine, the side scans are resized to, and the SHA-256 of its file.</summary>
public sealed class ScanModel
{
    private ScanModel(string path, string hash, IntegerModel model)
    {
        Path = path;
        Hash = hash;
        Side = model.Metadata.Metrics.TryGetValue(IntegerModelMetadata.ImageSizeMetric, out var side)
            ? (int)side
            : throw new InvalidDataException($"{path}: the integer model records no image size ({IntegerModelMetadata.ImageSizeMetric}); export it from a model train wrote.");
        // One image per call and per Hangfire worker thread: the workers are the parallelism.
        Engine = new IntegerEngine(model, new IntegerEngineOptions { Threads = 1 });
    }

    /// <summary>The model file loaded (full path).</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the model file's bytes, lower-case hex: half of every result's key.</summary>
    public string Hash { get; }

    public int Side { get; }

    public IntegerEngine Engine { get; }

    public int InputChannels => Engine.InputChannels;

    /// <summary>
    /// Loads a <c>--model</c> argument: a <c>.qint</c> integer model, or the folder <c>quantunet train</c> wrote (its
    /// <c>model.qint</c>). The one place that decides what batch scoring can load.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file, or a folder without an integer model.</exception>
    /// <exception cref="InvalidDataException">Not a readable integer model.</exception>
    public static ScanModel Load(string modelArgument)
    {
        var path = System.IO.Path.GetFullPath(Directory.Exists(modelArgument)
            ? System.IO.Path.Combine(modelArgument, IntegerModelFile.RunFolderFileName)
            : modelArgument);
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(modelArgument)
                ? $"--model {modelArgument}: no {IntegerModelFile.RunFolderFileName} in the folder (a float baseline has no integer model; batch scoring runs the integer engine)."
                : $"--model {modelArgument}: no such integer model ({IntegerModelFile.Extension}) or run folder.", path);
        var bytes = File.ReadAllBytes(path);
        return new ScanModel(path, ContentHash.Of(bytes), IntegerModelFile.Deserialize(bytes, path));
    }
}

/// <summary>SHA-256 as lower-case hex: the content key of scans and models.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
