using System.IO.Compression;
using System.Text.Json;
using QuantUNet.Integer.Format;

namespace QuantUNet.Integer.Package;

/// <summary>
/// The bytes a QuantU-Net transformer stores in ML.NET's model zip, under <see cref="EntryName"/> in its folder: a
/// <see cref="ChecksummedFrame"/> (magic "QUNETMLN", version 2) whose JSON header holds the transformer's settings
/// (column names, scoring mode, batch size; read by QuantUNet.MLNet) and whose one section is the
/// <see cref="ModelPackage"/>, unchanged. Here, below ML.NET, so that a TorchSharp-free, ML.NET-free app reads a zip too.
/// </summary>
public static class MLNetPayload
{
    /// <summary>The zip entry's name, "QuantUNet.bin", in the transformer's folder of the model zip.</summary>
    public const string EntryName = "QuantUNet.bin";

    internal static readonly ChecksummedFrame.Kind Kind = new("QUNETMLN"u8.ToArray(), 2, "transformer payload") { OldestReadVersion = 1 };

    /// <summary>The payload bytes: <paramref name="settingsJson"/> as the header and <paramref name="package"/> as the one section.</summary>
    /// <param name="settingsJson">The transformer's settings, UTF-8 JSON.</param>
    /// <param name="package">The model package, stored unchanged.</param>
    public static byte[] Write(byte[] settingsJson, ModelPackage package) =>
        ChecksummedFrame.ToBytes(Kind, settingsJson, [package.ToBytes()]);

    /// <summary>The settings header and the package of a payload of this format or the previous one (version 1).</summary>
    /// <exception cref="InvalidDataException">Truncated, altered, foreign or inconsistent; the message names <paramref name="source"/>.</exception>
    public static (JsonElement Settings, ModelPackage Package) Read(ReadOnlyMemory<byte> payload, string source)
    {
        if (LegacyFormats.IsVersion1Payload(payload.Span)) return LegacyFormats.ReadVersion1Payload(payload, source);
        var (header, sections) = ChecksummedFrame.Read(payload, source, Kind, sectionCount: 1);
        JsonElement settings;
        try
        {
            settings = JsonSerializer.Deserialize<JsonElement>(header.Span);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the transformer settings are not valid JSON ({e.Message}).", e);
        }
        return (settings, ModelPackage.FromPackageBytes(sections[0], $"{source} (its model package)"));
    }

    private static readonly byte[] ZipMagic = [(byte)'P', (byte)'K', 3, 4];

    /// <summary>Whether <paramref name="bytes"/> start like a zip (an ML.NET model).</summary>
    public static bool IsZip(ReadOnlySpan<byte> bytes) => bytes.StartsWith(ZipMagic);

    /// <summary>The payload inside an ML.NET model zip, found by its entry name wherever the transformer sits in the pipeline.</summary>
    /// <exception cref="InvalidDataException">Not a zip, no QuantU-Net transformer in it, more than one, or a damaged payload.</exception>
    public static (JsonElement Settings, ModelPackage Package) ReadZip(byte[] zipBytes, string source)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(zipBytes, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: not a readable zip ({e.Message}).", e);
        }
        using (zip)
        {
            var entries = zip.Entries.Where(e => e.Name == EntryName).ToList();
            if (entries.Count != 1)
                throw new InvalidDataException(entries.Count == 0
                    ? $"{source}: a zip with no QuantU-Net transformer in it (no {EntryName} entry)."
                    : $"{source}: a zip with {entries.Count} QuantU-Net transformers; load it with ML.NET and pick one.");
            using var payload = new MemoryStream();
            using (var entry = entries[0].Open()) entry.CopyTo(payload);
            return Read(payload.ToArray(), $"{source}/{entries[0].FullName}");
        }
    }
}
