using System.Runtime.InteropServices;
using System.Text.Json;
using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Persistence;

/// <summary>
/// A trained QuantU-Net in one file: the architecture, the metadata and the TorchSharp state
/// (weights, bitwidth offsets, thresholds), framed by <see cref="ChecksummedFile"/>: magic "QUNETPT1",
/// format version, JSON header, one section with the TorchSharp state, SHA-256; written atomically.
/// </summary>
public static class ModelFile
{
    public const int FormatVersion = 1;
    internal static readonly ChecksummedFile.Kind FileKind = new("QUNETPT1"u8.ToArray(), FormatVersion, "model file");
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private sealed record Header(QuantUNetOptions Model, ModelMetadata Metadata);

    public static void Save(QuantUNetModel model, string path, ModelMetadata metadata) =>
        ChecksummedFile.Write(path, FileKind, JsonSerializer.SerializeToUtf8Bytes(new Header(model.Options, metadata), Json), [SaveState(model)]);

    /// <summary>Loads a model file, refusing a truncated, altered or foreign file with a message naming it.</summary>
    public static (QuantUNetModel Model, ModelMetadata Metadata) Load(string path)
    {
        var (headerBytes, sections) = ChecksummedFile.Read(path, FileKind, sectionCount: 1);
        var header = ChecksummedFile.ReadHeader<Header>(path, FileKind, headerBytes, h => h.Model is not null && h.Metadata is not null);
        var architecture = WithoutBatchNormIfUnstated(header.Model, headerBytes.Span);
        QuantUNetModel model;
        try
        {
            model = LoadState(new QuantUNetModel(architecture), sections[0]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or ExternalException)
        {
            throw new InvalidDataException($"{path}: the weights do not fit the architecture in its header ({e.Message}).", e);
        }
        model.eval();
        return (model, header.Metadata);
    }

    /// <summary>
    /// Files written before <see cref="QuantUNetOptions.BatchNorm"/> existed do not state it, and their networks have none;
    /// the deserializer would give such a header the default (true).
    /// </summary>
    internal static QuantUNetOptions WithoutBatchNormIfUnstated(QuantUNetOptions options, ReadOnlySpan<byte> headerJson)
    {
        using var document = JsonDocument.Parse(headerJson.ToArray());
        bool stated = document.RootElement.TryGetProperty(nameof(Header.Model), out var model) && model.TryGetProperty(nameof(QuantUNetOptions.BatchNorm), out _);
        return stated ? options : options with { BatchNorm = false };
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
}
