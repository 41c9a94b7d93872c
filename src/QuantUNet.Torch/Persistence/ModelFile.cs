using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Persistence;

/// <summary>
/// A trained QuantU-Net in one file: the architecture, the metadata and the TorchSharp state
/// (weights, bitwidth offsets, thresholds). Layout, all little-endian:
/// magic "QUNETPT1", int32 format version, int32 header length, UTF-8 JSON header,
/// int64 state length, TorchSharp state, 32-byte SHA-256 of everything before it.
/// Written to a temporary file and renamed, so a crash leaves the old file or none, never half of one.
/// </summary>
public static class ModelFile
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "QUNETPT1"u8.ToArray();
    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private sealed record Header(QuantUNetOptions Model, ModelMetadata Metadata);

    public static void Save(QuantUNetModel model, string path, ModelMetadata metadata)
    {
        var state = new MemoryStream();
        model.save(state); // closes the stream; its bytes stay readable through ToArray
        var stateBytes = state.ToArray();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Header(model.Options, metadata), Json);

        using var file = new MemoryStream();
        file.Write(Magic);
        WriteInt32(file, FormatVersion);
        WriteInt32(file, header.Length);
        file.Write(header);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, stateBytes.Length);
        file.Write(length);
        file.Write(stateBytes);
        file.Write(SHA256.HashData(file.GetBuffer().AsSpan(0, (int)file.Length)));
        AtomicFile.WriteAllBytes(path, file.ToArray());
    }

    /// <summary>Loads a model file, refusing a truncated, altered or foreign file with a message naming it.</summary>
    public static (QuantUNetModel Model, ModelMetadata Metadata) Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file.", path);
        var bytes = File.ReadAllBytes(path);
        InvalidDataException Bad(string problem) => new($"{path}: {problem}");
        if (bytes.Length < Magic.Length + 8 + 8 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Bad("not a QuantU-Net model file (wrong magic or too short).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion) throw Bad($"model file version {version}; this build reads version {FormatVersion}.");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw Bad("checksum mismatch: the file is truncated or corrupted.");

        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (headerLength < 0 || 16 + headerLength + 8 > body.Length) throw Bad("header length out of range.");
        var header = JsonSerializer.Deserialize<Header>(bytes.AsSpan(16, headerLength), Json)
            ?? throw Bad("empty header.");
        long stateLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16 + headerLength));
        int stateStart = 16 + headerLength + 8;
        if (stateLength != body.Length - stateStart) throw Bad("state length does not match the file size.");

        var model = new QuantUNetModel(header.Model);
        using var state = new MemoryStream(bytes, stateStart, (int)stateLength, writable: false);
        model.load(state);
        model.eval();
        return (model, header.Metadata);
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
        stream.Write(buffer);
    }
}
