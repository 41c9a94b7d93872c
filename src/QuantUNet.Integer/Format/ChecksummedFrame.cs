using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace QuantUNet.Integer.Format;

/// <summary>
/// The one framing of the project's binary files (model package, integer model, ML.NET payload, training checkpoint).
/// Layout, all little-endian: 8-byte magic, int32 format version, int32 header length, the header, then each binary
/// section as int64 length and bytes, then a 32-byte SHA-256 of everything before it. The header is UTF-8 JSON in every
/// kind but the integer model (<c>.qint</c>), whose header is its documented binary layer table; a package carries that
/// table and the integer payload as two of its own sections, so a package has one checksum.
/// </summary>
public static class ChecksummedFrame
{
    private const int HashLength = 32;

    /// <summary>What sets one kind of file apart: its magic (8 bytes), its version and the noun its errors use ("model file").</summary>
    public sealed record Kind(byte[] Magic, int Version, string Noun)
    {
        /// <summary>The oldest version of this kind the build still reads (by a reader of its own); <see cref="Version"/> when none older.</summary>
        public int OldestReadVersion { get; init; } = Version;

        /// <summary>Whether <paramref name="bytes"/> start with this kind's magic, whatever their version.</summary>
        public bool Matches(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Magic);

        /// <summary>The versions a refusal names: "version 2" or "versions 1 to 2".</summary>
        internal string ReadVersions => OldestReadVersion == Version ? $"version {Version}" : $"versions {OldestReadVersion} to {Version}";
    }

    /// <summary>The JSON settings of every frame header: enums by name, so a header reads the same to people and programs.</summary>
    public static JsonSerializerOptions Json { get; } = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>Writes one frame (magic, version, header, sections, SHA-256) to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the frame goes, from its current position.</param>
    /// <param name="kind">The file kind: magic and version.</param>
    /// <param name="header">The UTF-8 JSON header.</param>
    /// <param name="sections">The binary sections, in order; an empty one is written with length 0.</param>
    public static void Write(Stream stream, Kind kind, byte[] header, IReadOnlyList<ReadOnlyMemory<byte>> sections)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.AppendData(bytes);
        }
        Span<byte> number = stackalloc byte[8];
        Put(kind.Magic);
        BinaryPrimitives.WriteInt32LittleEndian(number, kind.Version);
        Put(number[..4]);
        BinaryPrimitives.WriteInt32LittleEndian(number, header.Length);
        Put(number[..4]);
        Put(header);
        foreach (var section in sections)
        {
            BinaryPrimitives.WriteInt64LittleEndian(number, section.Length);
            Put(number);
            Put(section.Span);
        }
        stream.Write(hash.GetHashAndReset());
    }

    /// <summary>The frame <see cref="Write"/> would write, as bytes.</summary>
    /// <param name="kind">The file kind: magic and version.</param>
    /// <param name="header">The UTF-8 JSON header.</param>
    /// <param name="sections">The binary sections, in order.</param>
    public static byte[] ToBytes(Kind kind, byte[] header, IReadOnlyList<ReadOnlyMemory<byte>> sections)
    {
        using var stream = new MemoryStream();
        Write(stream, kind, header, sections);
        return stream.ToArray();
    }

    /// <summary>Writes a frame to <paramref name="path"/> through <see cref="AtomicFile"/>.</summary>
    public static void Save(string path, Kind kind, byte[] header, IReadOnlyList<ReadOnlyMemory<byte>> sections) =>
        AtomicFile.Write(path, stream => Write(stream, kind, header, sections));

    /// <summary>The bytes of the file at <paramref name="path"/>, or a <see cref="FileNotFoundException"/> naming it as a <paramref name="noun"/>.</summary>
    public static byte[] ReadFile(string path, string noun) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"{path}: no such {noun}.", path);

    /// <summary>The version a frame of <paramref name="kind"/>'s magic says it is; null for a frame of another kind or too short to say.</summary>
    public static int? VersionOf(ReadOnlySpan<byte> frame, Kind kind) =>
        frame.Length >= kind.Magic.Length + 4 && kind.Matches(frame) ? BinaryPrimitives.ReadInt32LittleEndian(frame[kind.Magic.Length..]) : null;

    /// <summary>
    /// Reads a frame of <paramref name="kind"/> with exactly <paramref name="sectionCount"/> sections, refusing a
    /// truncated, altered or foreign one with a message naming <paramref name="source"/>.
    /// </summary>
    public static (ReadOnlyMemory<byte> Header, ReadOnlyMemory<byte>[] Sections) Read(ReadOnlyMemory<byte> frame, string source, Kind kind, int sectionCount)
    {
        var bytes = frame.Span;
        InvalidDataException Bad(string problem) => new($"{source}: {problem}");
        int magicLength = kind.Magic.Length;
        if (bytes.Length < magicLength + 8 + 8 * sectionCount + HashLength || VersionOf(bytes, kind) is not { } version)
            throw Bad($"not a QuantU-Net {kind.Noun} (wrong magic or too short).");
        if (version != kind.Version) throw Bad($"{kind.Noun} version {version}; this build reads {kind.ReadVersions}.");
        int bodyLength = bytes.Length - HashLength;
        if (!SHA256.HashData(bytes[..bodyLength]).AsSpan().SequenceEqual(bytes[bodyLength..]))
            throw Bad("checksum mismatch: the file is truncated or corrupted.");

        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[(magicLength + 4)..]);
        int position = magicLength + 8;
        if (headerLength < 0 || headerLength > bodyLength - position) throw Bad("header length out of range.");
        var header = frame.Slice(position, headerLength);
        position += headerLength;
        var sections = new ReadOnlyMemory<byte>[sectionCount];
        for (int i = 0; i < sectionCount; i++)
        {
            if (bodyLength - position < 8) throw Bad("section length does not match the file size.");
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
            position += 8;
            // The last section runs to the checksum; any other must fit before it.
            if (length < 0 || length > bodyLength - position || (i == sectionCount - 1 && length != bodyLength - position))
                throw Bad("section length does not match the file size.");
            sections[i] = frame.Slice(position, (int)length);
            position += (int)length;
        }
        return (header, sections);
    }

    /// <summary>
    /// The JSON header as <typeparamref name="T"/>; a header that does not parse or leaves a required part out gets the
    /// file's error, not a serializer exception (a file can pass its checksum and still be wrong, e.g. hand-made).
    /// </summary>
    public static T ReadHeader<T>(ReadOnlyMemory<byte> header, string source, Kind kind, Func<T, bool> isComplete) where T : class
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(header.Span, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the {kind.Noun} header is not valid JSON ({e.Message}).", e);
        }
        return value is not null && isComplete(value) ? value : throw new InvalidDataException($"{source}: the {kind.Noun} header is incomplete.");
    }
}
