using System.Runtime.InteropServices;
using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;

namespace QuantUNet.Torch.Persistence;

/// <summary>
/// The TorchSharp side of the <see cref="ModelPackage"/>: a trained network into a package (description, TorchSharp
/// state, the integer model exported once) and back, and the previous format's <c>model.qunet</c> files, whose layer
/// widths only a loaded network can tell.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// The package of <paramref name="model"/>, trained at <paramref name="imageSize"/>. A quantized model carries its
    /// integer model; when the export is refused (an accumulator that could overflow) <paramref name="exportRefused"/>
    /// hears why and the package holds the TorchSharp weights alone, so hours of training are not lost for one mode.
    /// </summary>
    public static ModelPackage Package(QuantUNetModel model, ImageSize imageSize, TrainingRecord training, Action<string> exportRefused)
    {
        IntegerModel? integerModel = null;
        if (model.Quantize)
        {
            try
            {
                integerModel = IntegerExporter.Export(model, training, source: "QuantUNet.Torch", imageSize);
            }
            catch (InvalidDataException e)
            {
                exportRefused($"no integer model, so integer scoring is not available: {e.Message}");
            }
        }
        return new ModelPackage(Describe(model, imageSize, training), SaveState(model), integerModel);
    }

    /// <summary>Writes <paramref name="model"/>'s package to <paramref name="path"/>; an integer export it refuses is an error.</summary>
    public static void Save(QuantUNetModel model, string path, ImageSize imageSize, TrainingRecord training) =>
        Package(model, imageSize, training, problem => throw new InvalidDataException($"{path}: {problem}")).Save(path);

    /// <summary>What <paramref name="model"/> is, trained at <paramref name="imageSize"/>: the description a package stores.</summary>
    public static ModelDescription Describe(QuantUNetModel model, ImageSize imageSize, TrainingRecord training) => new()
    {
        ImageChannels = model.Options.InputChannels, ImageHeight = imageSize.Height, ImageWidth = imageSize.Width,
        Normalization = model.Options.Normalization, Quantized = model.Quantize, BaseWidth = model.Options.BaseWidth, BatchNorm = model.Options.BatchNorm,
        Quantization = JsonSerializer.SerializeToElement(model.Options.Quantization, ChecksummedFrame.Json),
        Layers = model.Bitwidths().Layers,
        Training = training,
    };

    /// <summary>The architecture a description states.</summary>
    public static ArchitectureOptions Architecture(ModelDescription description) => new()
    {
        InputChannels = description.ImageChannels, BaseWidth = description.BaseWidth, Quantize = description.Quantized, BatchNorm = description.BatchNorm,
        Normalization = description.Normalization,
        Quantization = description.Quantization?.Deserialize<QuantizationOptions>(ChecksummedFrame.Json) ?? new QuantizationOptions(),
    };

    /// <summary>
    /// The TorchSharp network of <paramref name="package"/>, in eval mode, refusing a package whose weights do not fit
    /// its architecture or whose learned widths disagree with its description (the caller disposes the network).
    /// </summary>
    /// <param name="source">What to call the package in error messages.</param>
    /// <param name="package">A package with TorchSharp weights.</param>
    public static QuantUNetModel Network(ModelPackage package, string source)
    {
        if (package.TorchState.IsEmpty)
            throw new InvalidDataException($"{source}: holds the integer model only; it scores in integer mode, with no TorchSharp weights for the other modes.");
        var model = LoadNetwork(Architecture(package.Description), package.TorchState, source);
        var stored = package.Description.Layers;
        var actual = Describe(model, new ImageSize(package.Description.ImageHeight, package.Description.ImageWidth), package.Description.Training).Layers;
        if (stored.SequenceEqual(actual)) return model;
        model.Dispose();
        var disagreement = stored.Count != actual.Count ? $"{stored.Count} layers described, {actual.Count} in the weights"
            : stored.Zip(actual).First(p => p.First != p.Second) is var (s, a) ? $"layer {s.Name} is described at {s.WeightBits}/{s.ActivationBits} bits, its weights are {a.Name} at {a.WeightBits}/{a.ActivationBits}" : "";
        throw new InvalidDataException($"{source}: the stored widths disagree with the TorchSharp weights: {disagreement}.");
    }

    /// <summary>
    /// The package of any model file a user has: what <see cref="ModelPackage.Load(string)"/> reads, and also the
    /// previous format's TorchSharp <c>model.qunet</c>, whose widths are read off the loaded network.
    /// </summary>
    public static ModelPackage LoadPackage(string path)
    {
        var file = ModelPackage.ModelFileIn(path);
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such model file.", file);
        var bytes = File.ReadAllBytes(file);
        return LegacyFormats.IsTorchModelFile(bytes) ? FromLegacyFile(bytes, file) : ModelPackage.Load(file);
    }

    /// <summary>The package of <paramref name="path"/> (see <see cref="LoadPackage"/>) and its TorchSharp network.</summary>
    public static (QuantUNetModel Model, ModelPackage Package) Load(string path)
    {
        var package = LoadPackage(path);
        return (Network(package, ModelPackage.ModelFileIn(path)), package);
    }

    /// <summary>
    /// A previous-format <c>model.qunet</c>: the side <c>quantunet train</c> recorded in its figures (else 128, train's
    /// default then), and the integer model train wrote beside it, else one exported now.
    /// </summary>
    private static ModelPackage FromLegacyFile(byte[] bytes, string path)
    {
        const int TrainDefaultSide = 128;
        var (partial, state) = LegacyFormats.ReadTorchModelFile(bytes, path);
        using var model = LoadNetwork(Architecture(partial with { Layers = [] }), state, path);
        var size = partial.ImageHeight > 0 ? new ImageSize(partial.ImageHeight, partial.ImageWidth) : ImageSize.Square(TrainDefaultSide);
        var description = Describe(model, size, partial.Training) with { Quantization = partial.Quantization };
        var besideIt = Path.Combine(Path.GetDirectoryName(path)!, "model" + IntegerModelFile.Extension);
        bool trainWroteIt = Path.GetFileName(path) == "model" + ModelPackage.Extension && File.Exists(besideIt);
        var integerModel = !model.Quantize ? null
            : trainWroteIt ? IntegerModelFile.Load(besideIt) : IntegerExporter.Export(model, partial.Training, Path.GetFileName(path), size);
        return new ModelPackage(description, state, integerModel);
    }

    private static QuantUNetModel LoadNetwork(ArchitectureOptions architecture, ReadOnlyMemory<byte> state, string source)
    {
        var model = new QuantUNetModel(architecture);
        try
        {
            LoadState(model, state);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or ExternalException)
        {
            model.Dispose();
            throw new InvalidDataException($"{source}: the weights do not fit the architecture in its header ({e.Message}).", e);
        }
        model.eval();
        return model;
    }

    /// <summary>The model's TorchSharp state (parameters and buffers: weights, bitwidth offsets, thresholds, calibration counts).</summary>
    internal static byte[] SaveState(QuantUNetModel model)
    {
        var state = new MemoryStream();
        model.save(state); // closes the stream; its bytes stay readable through ToArray
        return state.ToArray();
    }

    /// <summary>Reads <see cref="SaveState"/>'s bytes into <paramref name="model"/>, in place.</summary>
    internal static QuantUNetModel LoadState(QuantUNetModel model, ReadOnlyMemory<byte> state)
    {
        using var stream = new MemoryStream(state.ToArray(), writable: false);
        model.load(stream);
        return model;
    }

    /// <summary>
    /// The training record of a run: its seed and, from the last epoch that was validated, its validation figures
    /// when the last epoch was validated.
    /// </summary>
    public static TrainingRecord Record(int seed, IReadOnlyList<EpochRecord> epochs, IReadOnlyDictionary<string, double>? metrics = null)
    {
        var figures = new Dictionary<string, double>(metrics ?? new Dictionary<string, double>());
        if (epochs is [.., { Validation: { } last }])
        {
            figures.TryAdd("validation.dice", last.Dice);
            figures.TryAdd("validation.iou", last.IoU);
            figures.TryAdd("validation.pixelAccuracy", last.PixelAccuracy);
            figures.TryAdd("validation.loss", last.Loss);
        }
        return new TrainingRecord { Seed = seed, Metrics = figures };
    }
}
