using System.Security.Cryptography;
using QuantUNet.Integer;
using QuantUNet.Integer.Package;

namespace QuantUNet.Batch;

/// <summary>An integer model loaded for batch scoring: its engine, the side scans are resized to, and the SHA-256 of its file.</summary>
public sealed class ScanModel
{
    private ScanModel(string path, string hash, IntegerModel model, int side)
    {
        Path = path;
        Hash = hash;
        Side = side;
        // One image per call and per Hangfire worker thread: the workers are the parallelism.
        Engine = new IntegerEngine(model, new IntegerEngineOptions { Threads = 1 });
    }

    /// <summary>The model file loaded (full path).</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the model file's bytes, lower-case hex: half of every result's key.</summary>
    public string Hash { get; }

    /// <summary>The square side in pixels every scan is resized to: the model's training size.</summary>
    public int Side { get; }

    /// <summary>The integer engine scoring with this model, one image per call (the Hangfire workers are the parallelism).</summary>
    public IntegerEngine Engine { get; }

    /// <summary>Channels a scan is read with: 1 (grey) or 3 (RGB).</summary>
    public int InputChannels => Engine.InputChannels;

    /// <summary>
    /// Loads a <c>--model</c> argument through <see cref="ModelPackage.Load(Stream, string)"/>: a package, an ML.NET model.zip,
    /// a <c>.qint</c> integer model, or the folder <c>quantunet train</c> wrote. The one place that decides what batch scoring can load.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file, or a folder without a model.</exception>
    /// <exception cref="InvalidDataException">Not a readable model, or a float model with no integer model.</exception>
    public static ScanModel Load(string modelArgument)
    {
        var path = System.IO.Path.GetFullPath(ModelPackage.ModelFileIn(modelArgument));
        if (!File.Exists(path))
            throw new FileNotFoundException($"--model {modelArgument}: no such model file or run folder.", path);
        var bytes = File.ReadAllBytes(path);
        var package = ModelPackage.Load(new MemoryStream(bytes, writable: false), path);
        var model = package.IntegerModel
            ?? throw new InvalidDataException($"{path}: a float model, with no integer model; batch scoring runs the integer engine.");
        var description = package.Description;
        if (description.ImageHeight != description.ImageWidth)
            throw new InvalidDataException($"{path}: trained at {description.ImageHeight}x{description.ImageWidth}; batch scoring resizes scans to a square side.");
        return new ScanModel(path, ContentHash.Of(bytes), model, description.ImageHeight);
    }
}

/// <summary>SHA-256 as lower-case hex: the content key of scans and models.</summary>
public static class ContentHash
{
    /// <summary>SHA-256 of <paramref name="bytes"/>, 64 lower-case hex digits.</summary>
    /// <param name="bytes">The content to hash.</param>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
