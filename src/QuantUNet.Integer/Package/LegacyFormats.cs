using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Package;

/// <summary>
/// Readers of the files written by previous formats (kept so that those files still load; nothing writes them): the
/// TorchSharp model file <c>model.qunet</c> (magic "QUNETPT1"); version 1 of the ML.NET payload, which carried that file
/// and the <c>.qint</c> bytes as keyed blobs beside a description of its own; version 1 of the integer model file, whose
/// framing was its own; and version 1 of the model package, which nested a whole version-1 integer model file, second
/// checksum included.
/// </summary>
public static class LegacyFormats
{
    internal static readonly ChecksummedFrame.Kind TorchFileKind = new("QUNETPT1"u8.ToArray(), 1, "model file");

    private const string TorchBlobKey = "torchsharp-modelfile", IntegerBlobKey = "integer-qint";
    private const int HashLength = 32;

    /// <summary>Whether <paramref name="bytes"/> are a TorchSharp model file of the previous format.</summary>
    public static bool IsTorchModelFile(ReadOnlySpan<byte> bytes) => TorchFileKind.Matches(bytes);

    /// <summary>
    /// A previous-format TorchSharp model file: its description with what the file states (architecture, training record,
    /// the image side from the "imageSize" figure <c>quantunet train</c> kept, else 0) and no layers, which only the
    /// TorchSharp side can compute, and its TorchSharp state.
    /// </summary>
    public static (ModelDescription PartialDescription, ReadOnlyMemory<byte> State) ReadTorchModelFile(ReadOnlyMemory<byte> bytes, string source)
    {
        var (header, sections) = ChecksummedFrame.Read(bytes, source, TorchFileKind, sectionCount: 1);
        using var document = Parse(header, source);
        var root = document.RootElement;
        if (!root.TryGetProperty("Model", out var model) || !root.TryGetProperty("Metadata", out var metadata)
            || model.ValueKind != JsonValueKind.Object || metadata.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: the model file header is incomplete.");
        try
        {
            var training = metadata.Deserialize<TrainingRecord>(ChecksummedFrame.Json) ?? new TrainingRecord();
            int side = (int)training.Metrics.GetValueOrDefault(IntegerModelMetadata.ImageSizeMetric, 0);
            var description = new ModelDescription
            {
                ImageChannels = Int(model, "InputChannels", 1), ImageHeight = side, ImageWidth = side,
                Normalization = (PixelNormalization)Int(model, "Normalization", 0),
                Quantized = !model.TryGetProperty("Quantize", out var quantize) || quantize.GetBoolean(),
                BaseWidth = Int(model, "BaseWidth", 16),
                // Files written before BatchNorm existed do not state it, and their networks have none.
                BatchNorm = model.TryGetProperty("BatchNorm", out var batchNorm) && batchNorm.GetBoolean(),
                Quantization = model.TryGetProperty("Quantization", out var quantization) ? quantization.Clone() : null,
                Layers = [],
                Training = training,
            };
            return (description, sections[0]);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new InvalidDataException($"{source}: the model file header is malformed ({e.Message}).", e);
        }
    }

    internal static bool IsVersion1Payload(ReadOnlySpan<byte> bytes) => IsVersion1(MLNetPayload.Kind, bytes);

    internal static bool IsVersion1IntegerModel(ReadOnlySpan<byte> bytes) => IsVersion1(IntegerModelFile.Kind, bytes);

    internal static bool IsVersion1Package(ReadOnlySpan<byte> bytes) => IsVersion1(ModelPackage.FileKind, bytes);

    /// <summary>Whether <paramref name="bytes"/> start with the magic of <paramref name="kind"/> and format version 1.</summary>
    private static bool IsVersion1(ChecksummedFrame.Kind kind, ReadOnlySpan<byte> bytes) => ChecksummedFrame.VersionOf(bytes, kind) == 1;

    /// <summary>Whether the last 32 bytes of <paramref name="bytes"/> are the SHA-256 of the others.</summary>
    private static bool HashMatches(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= HashLength && SHA256.HashData(bytes[..^HashLength]).AsSpan().SequenceEqual(bytes[^HashLength..]);

    /// <summary>
    /// Version 1 of the integer model file. Layout (little-endian): magic "QUNETINT", int32 1, int32 header length H, the
    /// header, the payload (both exactly as version 2 holds them, see docs/integer-model-format.md), SHA-256 of every
    /// byte before it.
    /// </summary>
    internal static IntegerModel ReadVersion1IntegerModel(ReadOnlyMemory<byte> bytes, string name)
    {
        const int HeaderStart = 16;
        var span = bytes.Span;
        InvalidDataException Bad(string problem) => new($"{name}: {problem}");
        if (!IsVersion1IntegerModel(span) || span.Length < HeaderStart + HashLength) throw Bad("not a version 1 integer QuantU-Net model (wrong magic or too short).");
        if (!HashMatches(span)) throw Bad("checksum mismatch: the file is truncated or corrupted.");
        int bodyLength = span.Length - HashLength, headerLength = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        if (headerLength < 0 || headerLength > bodyLength - HeaderStart) throw Bad("header length out of range.");
        return IntegerModelFile.Decode(bytes.Slice(HeaderStart, headerLength), bytes[(HeaderStart + headerLength)..bodyLength], name);
    }

    /// <summary>
    /// Version 1 of the model package: the framing of version 2 with two sections, the TorchSharp state and a whole
    /// version-1 integer model file (empty when absent).
    /// </summary>
    internal static ModelPackage ReadVersion1Package(ReadOnlyMemory<byte> bytes, string source)
    {
        var (header, sections) = ChecksummedFrame.Read(bytes, source, ModelPackage.FileKind with { Version = 1 }, sectionCount: 2);
        var integerModel = sections[1].IsEmpty ? null : ReadVersion1IntegerModel(sections[1], $"{source} (its integer model)");
        return new ModelPackage(ModelPackage.ReadDescription(header, source), sections[0], integerModel);
    }

    /// <summary>
    /// Version 1 of the ML.NET payload. Layout (little-endian): magic "QUNETMLN", int32 1, int32 length + UTF-8 JSON
    /// description, int32 blob count, per blob an int32 length + UTF-8 key and an int64 length + bytes, SHA-256.
    /// Its description JSON holds the transformer settings under the names the current settings use.
    /// </summary>
    internal static (JsonElement Settings, ModelPackage Package) ReadVersion1Payload(ReadOnlyMemory<byte> payload, string source)
    {
        var bytes = payload.ToArray();
        InvalidDataException Bad(string problem) => new($"{source}: {problem}");
        if (bytes.Length < 12 + HashLength) throw Bad("not a saved QuantU-Net (too short).");
        if (!HashMatches(bytes)) throw Bad("checksum mismatch: the saved QuantU-Net is truncated or corrupted.");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 12, bytes.Length - HashLength - 12, writable: false), Encoding.UTF8);
            using var document = Parse(ReadBytes(reader), source);
            var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                string key = Encoding.UTF8.GetString(ReadBytes(reader));
                long length = reader.ReadInt64();
                if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
                    throw Bad($"blob '{key}' claims {length} bytes, more than the payload holds.");
                if (!blobs.TryAdd(key, reader.ReadBytes((int)length))) throw Bad($"blob '{key}' appears twice.");
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length) throw Bad("unexpected bytes after the last blob.");
            if (!blobs.TryGetValue(TorchBlobKey, out var torchFile)) throw Bad($"no '{TorchBlobKey}' blob.");

            var root = document.RootElement;
            var summary = root.GetProperty("Summary");
            var (partial, state) = ReadTorchModelFile(torchFile, $"{source} ({TorchBlobKey})");
            var description = partial with
            {
                ImageChannels = root.GetProperty("Channels").GetInt32(), ImageHeight = root.GetProperty("Height").GetInt32(), ImageWidth = root.GetProperty("Width").GetInt32(),
                Quantized = summary.GetProperty("Quantized").GetBoolean(),
                Layers = summary.GetProperty("Layers").Deserialize<List<LayerWidths>>(ChecksummedFrame.Json) ?? [],
            };
            var integerModel = blobs.TryGetValue(IntegerBlobKey, out var qint) ? ReadVersion1IntegerModel(qint, $"{source} ({IntegerBlobKey})") : null;
            return (root.Clone(), new ModelPackage(description, state, integerModel));
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Bad($"malformed payload ({e.Message}).");
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> json, string source)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the header is not valid JSON ({e.Message}).", e);
        }
    }

    private static int Int(JsonElement element, string name, int unstated) => element.TryGetProperty(name, out var value) ? value.GetInt32() : unstated;

    private static byte[] ReadBytes(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new EndOfStreamException($"a length of {length} runs past the end");
        return reader.ReadBytes(length);
    }
}
