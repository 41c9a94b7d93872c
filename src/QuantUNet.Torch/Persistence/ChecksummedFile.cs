using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using QuantUNet.Data;

namespace QuantUNet.Torch.Persistence;

/// <summary>
/// The framing our TorchSharp files share. Layout, all little-endian: 8-byte magic, int32 format
/// version, int32 header length, UTF-8 JSON header, then each binary section as int64 length and
/// bytes, then a 32-byte SHA-256 of everything before it. Written to a temporary file and renamed,
/// so a crash leaves the old file or none, never half of one.
/// </summary>
internal static class ChecksummedFile
{
    private const int HashLength = 32;

    /// <summary>What sets one kind of file apart: its magic, its version and the noun its errors use ("model file").</summary>
    public sealed record Kind(byte[] Magic, int Version, string Noun);

    public static void Write(string path, Kind kind, byte[] header, IReadOnlyList<byte[]> sections)
    {
        using var file = new MemoryStream();
        file.Write(kind.Magic);
        WriteInt32(file, kind.Version);
        WriteInt32(file, header.Length);
        file.Write(header);
        Span<byte> length = stackalloc byte[8];
        foreach (var section in sections)
        {
            BinaryPrimitives.WriteInt64LittleEndian(length, section.Length);
            file.Write(length);
            file.Write(section);
        }
        file.Write(SHA256.HashData(file.GetBuffer().AsSpan(0, (int)file.Length)));
        AtomicFile.WriteAllBytes(path, file.GetBuffer().AsSpan(0, (int)file.Length));
    }

    /// <summary>Reads a file of <paramref name="kind"/> with exactly <paramref name="sectionCount"/> sections, refusing a truncated, altered or foreign file with a message naming it.</summary>
    public static (ReadOnlyMemory<byte> Header, ReadOnlyMemory<byte>[] Sections) Read(string path, Kind kind, int sectionCount)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such {kind.Noun}.", path);
        var bytes = File.ReadAllBytes(path);
        InvalidDataException Bad(string problem) => new($"{path}: {problem}");
        int magicLength = kind.Magic.Length;
        if (bytes.Length < magicLength + 8 + 8 * sectionCount + HashLength || !bytes.AsSpan(0, magicLength).SequenceEqual(kind.Magic))
            throw Bad($"not a QuantU-Net {kind.Noun} (wrong magic or too short).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(magicLength));
        if (version != kind.Version) throw Bad($"{kind.Noun} version {version}; this build reads version {kind.Version}.");
        int bodyLength = bytes.Length - HashLength;
        if (!SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
            throw Bad("checksum mismatch: the file is truncated or corrupted.");

        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(magicLength + 4));
        int position = magicLength + 8;
        if (headerLength < 0 || headerLength > bodyLength - position) throw Bad("header length out of range.");
        var header = new ReadOnlyMemory<byte>(bytes, position, headerLength);
        position += headerLength;
        var sections = new ReadOnlyMemory<byte>[sectionCount];
        for (int i = 0; i < sectionCount; i++)
        {
            if (bodyLength - position < 8) throw Bad("section length does not match the file size.");
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(position));
            position += 8;
            // The last section runs to the checksum; any other must fit before it.
            if (length < 0 || length > bodyLength - position || (i == sectionCount - 1 && length != bodyLength - position))
                throw Bad("section length does not match the file size.");
            sections[i] = new ReadOnlyMemory<byte>(bytes, position, (int)length);
            position += (int)length;
        }
        return (header, sections);
    }

    /// <summary>
    /// The JSON header as <typeparamref name="T"/>; a header that does not parse or leaves a required part out gets the
    /// file's error, not a serializer exception (a file can pass its checksum and still be wrong, e.g. hand-made).
    /// </summary>
    public static T ReadHeader<T>(string path, Kind kind, ReadOnlyMemory<byte> header, Func<T, bool> isComplete) where T : class
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(header.Span, ModelFile.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the {kind.Noun} header is not valid JSON ({e.Message}).", e);
        }
        return value is not null && isComplete(value) ? value : throw new InvalidDataException($"{path}: the {kind.Noun} header is incomplete.");
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
        stream.Write(buffer);
    }
}
