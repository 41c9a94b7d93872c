using System.Text.Json;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Package;

/// <summary>
/// A trained QuantU-Net in one file: its <see cref="ModelDescription"/>, the TorchSharp state as an opaque blob (read
/// by QuantUNet.Torch only) and, for a quantized model, the <see cref="IntegerModel"/>. Framed by
/// <see cref="ChecksummedFrame"/>: magic "QUNETPKG", version 2, JSON description, three sections (the TorchSharp state,
/// the integer model's header and its payload, as a <c>.qint</c> file holds them; each empty when absent), one SHA-256
/// for the whole. The ML.NET model zip embeds these bytes unchanged. Version 1 packages (which nested a whole
/// <c>.qint</c> file, checksum included) still load, through <see cref="LegacyFormats"/>.
/// </summary>
/// <remarks>Made only through the constructor, which refuses parts that disagree (an integer model whose widths,
/// channels or normalisation differ from the description), so a loaded package is always consistent.</remarks>
public sealed class ModelPackage
{
    /// <summary>The extension of a package file.</summary>
    public const string Extension = ".qunet";

    internal static readonly ChecksummedFrame.Kind FileKind = new("QUNETPKG"u8.ToArray(), 2, "model package") { OldestReadVersion = 1 };

    /// <exception cref="InvalidDataException">The description is unusable or the parts disagree; the message says how.</exception>
    public ModelPackage(ModelDescription description, ReadOnlyMemory<byte> torchState, IntegerModel? integerModel)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description.Problem() is { } problem) throw new InvalidDataException($"invalid description: {problem}");
        if (torchState.IsEmpty && integerModel is null) throw new InvalidDataException("holds neither TorchSharp weights nor an integer model.");
        if (integerModel is not null && Disagreement(description, integerModel) is { } disagreement)
            throw new InvalidDataException($"the integer model disagrees with the description: {disagreement}");
        Description = description;
        TorchState = torchState;
        IntegerModel = integerModel;
    }

    /// <summary>Architecture, image size, learned widths and training record.</summary>
    public ModelDescription Description { get; }

    /// <summary>
    /// This package with <paramref name="training"/> as its training record, in the description and in the integer model's
    /// metadata alike; weights and integer layers unchanged (no second export for figures measured after the first).
    /// </summary>
    public ModelPackage WithTraining(TrainingRecord training) => new(
        Description with { Training = training }, TorchState,
        IntegerModel is null ? null : new IntegerModel(IntegerModel.Header, IntegerModel.Layers, IntegerModel.Metadata.WithTraining(training)));

    /// <summary>The TorchSharp state (weights, bitwidth offsets, thresholds); empty in a package made from an integer model alone.</summary>
    public ReadOnlyMemory<byte> TorchState { get; }

    /// <summary>The integer model; null for the float baseline, or when the export was refused at training.</summary>
    public IntegerModel? IntegerModel { get; }

    /// <summary>Writes the package (<c>.qunet</c> format) to <paramref name="stream"/> from its current position.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (integerHeader, integerPayload) = IntegerModel is null ? (Array.Empty<byte>(), Array.Empty<byte>()) : IntegerModelFile.Encode(IntegerModel);
        ChecksummedFrame.Write(stream, FileKind, JsonSerializer.SerializeToUtf8Bytes(Description, ChecksummedFrame.Json), [TorchState, integerHeader, integerPayload]);
    }

    /// <summary>Writes the package to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, Save);

    /// <summary>The package's <c>.qunet</c> bytes, as <see cref="Save(Stream)"/> writes them.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        Save(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Loads a model from whatever file a user has: a package (<c>.qunet</c>), an ML.NET model zip holding a QuantU-Net
    /// transformer (alone or at the end of a chain; this format or the previous one), an integer model (<c>.qint</c>,
    /// with no TorchSharp weights) or the folder <c>quantunet train</c> wrote. Needs neither TorchSharp nor ML.NET.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing of the kind at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a model this build reads, damaged, or inconsistent; the message names the file.</exception>
    public static ModelPackage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = ModelFileIn(path);
        return Read(ChecksummedFrame.ReadFile(file, "model file"), file);
    }

    /// <summary>Loads a model from a stream of any format <see cref="Load(string)"/> reads; writes no file.</summary>
    /// <param name="source">What to call the stream in error messages.</param>
    /// <param name="stream">A readable stream holding the model from its current position; left open.</param>
    public static ModelPackage Load(Stream stream, string source = "the model stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.ToArray(), source);
    }

    /// <summary>
    /// The model file a path names: the path itself, or in a folder <c>quantunet train</c> wrote, its ML.NET zip, else
    /// (runs of the previous format without one) its <c>model.qunet</c>.
    /// </summary>
    public static string ModelFileIn(string path)
    {
        if (!Directory.Exists(path)) return path;
        foreach (var name in RunFolderModelNames)
            if (File.Exists(Path.Combine(path, name))) return Path.Combine(path, name);
        throw new FileNotFoundException($"{path}: a folder with no model in it (looked for {string.Join(", ", RunFolderModelNames)}).", path);
    }

    /// <summary>The model file of a train run, and that of runs written before it had one.</summary>
    public static IReadOnlyList<string> RunFolderModelNames { get; } = ["model.zip", "model" + Extension];

    private static ModelPackage Read(byte[] bytes, string source)
    {
        try
        {
            if (FileKind.Matches(bytes)) return FromPackageBytes(bytes, source);
            if (IntegerModelFile.Kind.Matches(bytes)) return FromIntegerModel(IntegerModelFile.Deserialize(bytes, source), source);
            if (MLNetPayload.IsZip(bytes)) return MLNetPayload.ReadZip(bytes, source).Package;
            if (LegacyFormats.TorchFileKind.Matches(bytes))
                throw new InvalidDataException("a TorchSharp model file of the previous format, which only QuantUNet.Torch can read "
                    + "(quantunet's verbs, QuantUNet.Torch's ModelFile.LoadPackage, the ML.NET FromModelFile do); its folder's model.zip loads here.");
            throw new InvalidDataException("not a QuantU-Net model (a .qunet package, an ML.NET model.zip or a .qint integer model).");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the bytes <see cref="Save(Stream)"/> wrote (or a version 1 package), refusing a truncated, altered, foreign
    /// or inconsistent package.
    /// </summary>
    public static ModelPackage FromPackageBytes(ReadOnlyMemory<byte> bytes, string source)
    {
        if (LegacyFormats.IsVersion1Package(bytes.Span)) return LegacyFormats.ReadVersion1Package(bytes, source);
        var (header, sections) = ChecksummedFrame.Read(bytes, source, FileKind, sectionCount: 3);
        var integerModel = sections[1].IsEmpty && sections[2].IsEmpty ? null : IntegerModelFile.Decode(sections[1], sections[2], $"{source} (its integer model)");
        return new ModelPackage(ReadDescription(header, source), sections[0], integerModel);
    }

    /// <summary>The description in a package's header, of this version or the previous one.</summary>
    internal static ModelDescription ReadDescription(ReadOnlyMemory<byte> header, string source) =>
        ChecksummedFrame.ReadHeader<ModelDescription>(header, source, FileKind, d => d.Layers is not null && d.Training is not null);

    /// <summary>A package of an integer model alone, described by its own header; it scores in integer mode only.</summary>
    private static ModelPackage FromIntegerModel(IntegerModel model, string source)
    {
        var header = model.Header;
        if (header.NominalHeight < 1 || header.NominalWidth < 1)
            throw new InvalidDataException($"{source}: the integer model does not record the image size it was trained at; export it with one.");
        var description = new ModelDescription
        {
            ImageChannels = header.InputChannels, ImageHeight = header.NominalHeight, ImageWidth = header.NominalWidth, Normalization = header.Normalization,
            Quantized = true, BaseWidth = model.Layers[0].OutputChannels,
            Layers = model.Bitwidths.Layers,
            Training = new TrainingRecord { Seed = model.Metadata.Seed, SavedUtc = model.Metadata.TrainedUtc, Metrics = model.Metadata.Metrics },
        };
        return new ModelPackage(description, ReadOnlyMemory<byte>.Empty, model);
    }

    /// <summary>Where <paramref name="description"/> and <paramref name="model"/> differ, or null.</summary>
    private static string? Disagreement(ModelDescription description, IntegerModel model)
    {
        if (!description.Quantized) return "the float baseline has no integer form.";
        if (model.Header.InputChannels != description.ImageChannels)
            return $"{model.Header.InputChannels} image channels, the description {description.ImageChannels}.";
        if (model.Header.Normalization != description.Normalization)
            return $"normalisation {model.Header.Normalization}, the description {description.Normalization}.";
        if (model.Layers.Count != description.Layers.Count)
            return $"{model.Layers.Count} layers, the description {description.Layers.Count}.";
        return model.Layers.Zip(description.Layers)
            .Where(p => p.First.Name != p.Second.Name || p.First.WeightBits != p.Second.WeightBits || p.First.ActivationBits != p.Second.ActivationBits)
            .Select(p => $"layer {p.First.Name}: {p.First.WeightBits}-bit weights and {p.First.ActivationBits}-bit activations, "
                         + $"the description's {p.Second.Name} {p.Second.WeightBits} and {p.Second.ActivationBits}.")
            .FirstOrDefault();
    }
}
