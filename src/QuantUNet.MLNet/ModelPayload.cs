using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuantUNet.MLNet;

/// <summary>
/// The bytes a <see cref="QuantUNetTransformer"/> stores in ML.NET's model zip. Layout (little-endian): magic
/// "QUNETMLN", int32 format version, int32 length + UTF-8 JSON of the <see cref="ModelDescription"/>, int32 blob count,
/// then per blob an int32 length + UTF-8 key and an int64 length + bytes, and last a 32-byte SHA-256 of everything before it.
/// </summary>
internal static class ModelPayload
{
    public const int FormatVersion = 1;
    private const int HashLength = 32;
    private static readonly byte[] Magic = "QUNETMLN"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public static byte[] Write(SegmentationModel model)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            WriteBytes(writer, JsonSerializer.SerializeToUtf8Bytes(model.Description, Json));
            writer.Write(model.Blobs.Count);
            foreach (var (key, blob) in model.Blobs.OrderBy(b => b.Key, StringComparer.Ordinal))
            {
                WriteBytes(writer, Encoding.UTF8.GetBytes(key));
                writer.Write((long)blob.Length);
                writer.Write(blob);
            }
        }
        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        return stream.ToArray();
    }

    /// <summary>Reads a payload, refusing a truncated, altered or foreign one with a message naming <paramref name="source"/>.</summary>
    public static SegmentationModel Read(byte[] bytes, string source)
    {
        InvalidDataException Bad(string problem) => new($"{source}: {problem}");
        if (bytes.Length < Magic.Length + sizeof(int) + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Bad("not a saved QuantU-Net (wrong magic or too short).");
        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(body.Length)))
            throw Bad("checksum mismatch: the saved QuantU-Net is truncated or corrupted.");

        using var reader = new BinaryReader(new MemoryStream(bytes, 0, body.Length, writable: false), Encoding.UTF8);
        reader.ReadBytes(Magic.Length);
        int version = reader.ReadInt32();
        if (version != FormatVersion)
            throw Bad($"saved with QuantU-Net payload version {version}; this build reads version {FormatVersion}.");
        try
        {
            var description = JsonSerializer.Deserialize<ModelDescription>(ReadBytes(reader), Json) ?? throw Bad("empty description.");
            if (Problem(description) is { } problem)
                throw Bad($"invalid description: {problem}");
            int count = reader.ReadInt32();
            var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = Encoding.UTF8.GetString(ReadBytes(reader));
                long length = reader.ReadInt64();
                if (length < 0 || length > body.Length - reader.BaseStream.Position)
                    throw Bad($"blob '{key}' claims {length} bytes, more than the payload holds.");
                if (!blobs.TryAdd(key, reader.ReadBytes((int)length)))
                    throw Bad($"blob '{key}' appears twice.");
            }
            if (reader.BaseStream.Position != body.Length)
                throw Bad("unexpected bytes after the last blob.");
            return new SegmentationModel(description, blobs);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw Bad($"malformed payload ({e.Message}).");
        }
    }

    /// <summary>Largest image (channels x height x width) a description may declare: scoring allocates buffers of this size.</summary>
    private const long MaxImageValues = 1L << 28;

    /// <summary>
    /// What makes a description unusable, or null. JSON leaves missing fields null or zero, and the scorer allocates
    /// batches from the declared size, so both are checked before the transformer exists.
    /// </summary>
    private static string? Problem(ModelDescription description)
    {
        if (description.Columns is not { Image.Length: > 0, Score.Length: > 0, PredictedLabel.Length: > 0 })
            return "the image, score and predicted-label column names are required.";
        if (!Enum.IsDefined(description.ScoringMode))
            return $"unknown scoring mode {(int)description.ScoringMode}.";
        if (description.Channels < 1 || description.Height < 1 || description.Width < 1
            || (long)description.Channels * description.Height * description.Width > MaxImageValues)
            return $"image size {description.Channels}x{description.Height}x{description.Width} is not between 1 and {MaxImageValues} values.";
        if (description.ScoringBatchSize < 1 || (long)description.ScoringBatchSize * description.Channels * description.Height * description.Width > MaxImageValues)
            return $"scoring batch size {description.ScoringBatchSize} is not between 1 and {MaxImageValues} image values.";
        if (description.Summary?.Layers is not { Count: > 0 } layers || layers.Any(l => l?.Name is null))
            return "the summary has no layers.";
        return null;
    }

    private static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new EndOfStreamException($"a length of {length} runs past the end");
        return reader.ReadBytes(length);
    }
}
