using System.CommandLine;
using Microsoft.ML;
using QuantUNet.MLNet;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Native;
using QuantUNet.Torch.Persistence;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// A trained model named by a <c>--model</c> argument, loaded once, with the side it was trained at; the one place that
/// decides what a <c>--model</c> argument may be and how each <see cref="ScoringMode"/> scores it.
/// </summary>
internal sealed class TrainedModel : IDisposable
{
    /// <summary>How images are scored.</summary>
    public enum ScoringMode
    {
        /// <summary>The integer engine on the exported model (quantized models only).</summary>
        Integer,

        /// <summary>TorchSharp with the quantizers on, as trained (quantized models only).</summary>
        FakeQuant,

        /// <summary>TorchSharp with quantization off: the float baseline, or a QuantU-Net's weights unquantized.</summary>
        Float,
    }

    /// <summary>The integer model that came with the model (beside a train folder's model.qunet, or inside a zip); null if none.</summary>
    private readonly IntegerModel? _storedIntegerModel;

    private TrainedModel(string path, QuantUNetModel model, ModelMetadata metadata, IntegerModel? storedIntegerModel)
    {
        Path = path;
        Model = model;
        Metadata = metadata;
        _storedIntegerModel = storedIntegerModel;
    }

    /// <summary>The model file actually loaded.</summary>
    public string Path { get; }

    public QuantUNetModel Model { get; }

    public ModelMetadata Metadata { get; }

    public int InputChannels => Model.Options.InputChannels;

    /// <summary>The side train recorded in the model file; 128 (train's default) for files written without it.</summary>
    public int TrainedSide => (int)Metadata.Metrics.GetValueOrDefault(TrainCommand.ImageSizeMetric, 128);

    public static Option<FileInfo> ModelOption() => new("--model")
    {
        Description = $"The folder train wrote, its ML.NET model ({ModelZip.FileName}) or its model file ({TrainCommand.ModelFileName}).", Required = true,
    };

    public static Option<ScoringMode?> ModeOption() => new("--mode")
    {
        Description = "integer, fakequant or float (default: integer for QuantU-Net, float for the float baseline).",
    };

    public static Option<int> SizeOption(string resized) => new("--size")
    {
        Description = $"Resize {resized} to this side (0: the side the model was trained at).", DefaultValueFactory = _ => 0,
    };

    /// <summary>The side to score at: <paramref name="requested"/>, or with 0 the side the model was trained at.</summary>
    public int Side(int requested) => DatasetOptions.CheckSize(requested > 0 ? requested : TrainedSide);

    /// <summary>Sets TorchSharp's threads to <paramref name="requested"/> (0: all cores) and returns the count, for the integer engine too.</summary>
    public static int UseThreads(int requested)
    {
        int threads = requested > 0 ? requested : Environment.ProcessorCount;
        // TorchSharp may be touched here before any type of QuantUNet.Torch, whose initializer makes libtorch loadable.
        TorchRuntime.EnsureLoadable();
        set_num_threads(threads);
        return threads;
    }

    /// <summary>Resolves and loads a <c>--model</c> argument: the folder train wrote, an ML.NET model zip, or a model file.</summary>
    /// <exception cref="FileNotFoundException">Neither exists; the message names the argument.</exception>
    public static TrainedModel Load(string modelArgument)
    {
        if (modelArgument.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            return LoadZip(modelArgument);
        var path = Directory.Exists(modelArgument) ? System.IO.Path.Combine(modelArgument, TrainCommand.ModelFileName) : modelArgument;
        var (model, metadata) = ModelFile.Load(path);
        // The integer file train wrote beside its model.qunet is what would be deployed, so it is the one scored.
        var integerPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, TrainCommand.IntegerFileName);
        bool trainWroteIt = System.IO.Path.GetFileName(path) == TrainCommand.ModelFileName && File.Exists(integerPath);
        return new TrainedModel(path, model, metadata, trainWroteIt ? IntegerModelFile.Load(integerPath) : null);
    }

    /// <summary>Takes the model files out of an ML.NET model zip (through ML.NET's own loader) and loads them.</summary>
    private static TrainedModel LoadZip(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model zip.", path);
        var mlContext = new MLContext(seed: 0);
        mlContext.Segmentation();
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(path, out _);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: not a readable ML.NET model ({e.Message}).", e);
        }
        using var transformer = loaded as QuantUNetTransformer
            ?? throw new InvalidDataException($"{path}: an ML.NET model, but not a QuantU-Net one ({loaded.GetType().Name}).");
        var folder = Directory.CreateTempSubdirectory("quantunet-zip").FullName;
        try
        {
            string modelFile = System.IO.Path.Combine(folder, TrainCommand.ModelFileName), integerFile = System.IO.Path.Combine(folder, TrainCommand.IntegerFileName);
            transformer.SaveModelFile(modelFile);
            if (transformer.HasIntegerModel) transformer.SaveIntegerModel(integerFile);
            var (model, metadata) = ModelFile.Load(modelFile);
            return new TrainedModel(path, model, metadata, transformer.HasIntegerModel ? IntegerModelFile.Load(integerFile) : null);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The requested mode, or integer for QuantU-Net and float for the float baseline.</summary>
    /// <exception cref="ArgumentException">A quantized mode was asked of the float baseline.</exception>
    public ScoringMode ModeOrDefault(ScoringMode? requested)
    {
        var mode = requested ?? (Model.Quantize ? ScoringMode.Integer : ScoringMode.Float);
        if (mode != ScoringMode.Float && !Model.Quantize)
            throw new ArgumentException($"--mode {Name(mode)}: {Path} is a float baseline; only --mode float scores it.");
        return mode;
    }

    public static string Name(ScoringMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>The integer model that came with the model (what would be deployed), else the model exported now.</summary>
    public IntegerModel IntegerModel() => _storedIntegerModel ?? IntegerExporter.Export(Model, Metadata, System.IO.Path.GetFileName(Path));

    /// <summary>A scorer of this model in <paramref name="mode"/> (checked with <see cref="ModeOrDefault"/> first).</summary>
    public MaskScorer Scorer(ScoringMode mode, int threads) => mode == ScoringMode.Integer
        ? MaskScorer.Integer(IntegerModel(), threads)
        : MaskScorer.Torch(Model, unquantized: mode == ScoringMode.Float);

    public void Dispose() => Model.Dispose();
}
