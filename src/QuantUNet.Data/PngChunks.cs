using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace QuantUNet.Data;

/// <summary>
/// What Skia's PNG decoder does not give: a 16-bit PNG at its own 16 bits (Skia hands back 8, which turns a 0/1 map
/// into zeros) and the colour of a palette PNG's entry 0, its background by the convention of label PNGs.
/// </summary>
internal static class PngChunks
{
    private const int ColourTypeOffset = 25, BitDepthOffset = 24, InterlaceOffset = 28;
    private const byte Palette = 3;

    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    public static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature) && bytes.Length > InterlaceOffset;

    /// <summary>1 for a grey PNG (grey or grey + alpha), 3 for a colour one (RGB, RGBA, palette).</summary>
    public static int DeclaredChannels(ReadOnlySpan<byte> bytes) => bytes[ColourTypeOffset] is 0 or 4 ? 1 : 3;

    /// <summary>Whether Skia would lose precision: 16 bits a sample, not interlaced (an interlaced one is left to Skia, at 8 bits).</summary>
    public static bool IsSixteenBit(ReadOnlySpan<byte> bytes) => IsPng(bytes) && bytes[BitDepthOffset] == 16 && bytes[InterlaceOffset] == 0;

    /// <summary>A palette PNG's entry 0 as Skia decodes it (premultiplied RGBA, tRNS applied); null for other PNGs.</summary>
    public static SKColor? PaletteBackground(ReadOnlySpan<byte> bytes)
    {
        if (!IsPng(bytes) || bytes[ColourTypeOffset] != Palette) return null;
        byte[]? entry = null;
        byte alpha = 255;
        foreach (var (type, data) in Chunks(bytes.ToArray()))
        {
            if (type == "PLTE" && data.Length >= 3) entry = data[..3];
            else if (type == "tRNS" && data.Length >= 1) alpha = data[0];
        }
        return entry is null ? null : new SKColor((byte)(entry[0] * alpha / 255), (byte)(entry[1] * alpha / 255), (byte)(entry[2] * alpha / 255), alpha);
    }

    /// <summary>A 16-bit, non-interlaced PNG as a premultiplied RGBA16161616 bitmap, its samples as stored.</summary>
    /// <exception cref="InvalidDataException">Too large, truncated or corrupt; the message names the file.</exception>
    public static SKBitmap DecodeSixteenBit(string path, byte[] bytes)
    {
        int width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        ImageFile.CheckPixelCount(path, width, height);
        int samples = bytes[ColourTypeOffset] switch
        {
            0 => 1, 2 => 3, 4 => 2, 6 => 4,
            var other => throw new InvalidDataException($"{path}: PNG colour type {other} with 16-bit samples is not a valid PNG."),
        };
        int pixelBytes = 2 * samples, rowBytes = width * pixelBytes;
        var raw = new byte[(long)height * (rowBytes + 1)];
        using (var idat = new MemoryStream())
        {
            foreach (var (type, data) in Chunks(bytes))
                if (type == "IDAT") idat.Write(data);
            idat.Position = 0;
            try
            {
                using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
                if (inflater.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false) < raw.Length)
                    throw new InvalidDataException($"{path}: decoding failed (IncompleteInput); the file may be truncated or corrupt.");
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: decoding failed ({e.Message}); the file may be truncated or corrupt.", e);
            }
        }
        var previous = new byte[rowBytes];
        var rgba = new ushort[4 * width * height];
        for (int y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (rowBytes + 1) + 1, rowBytes);
            Unfilter(raw[y * (rowBytes + 1)], row, previous, pixelBytes, path);
            for (int x = 0; x < width; x++)
            {
                int at = x * pixelBytes;
                int alpha = samples is 2 or 4 ? BinaryPrimitives.ReadUInt16BigEndian(row[(at + 2 * (samples - 1))..]) : ushort.MaxValue;
                for (int c = 0; c < 3; c++)
                {
                    int colour = BinaryPrimitives.ReadUInt16BigEndian(row[(at + 2 * (samples < 3 ? 0 : c))..]);
                    rgba[4 * (y * width + x) + c] = (ushort)Math.Round((double)colour * alpha / ushort.MaxValue);
                }
                rgba[4 * (y * width + x) + 3] = (ushort)alpha;
            }
            row.CopyTo(previous);
        }
        return SkiaRaster.Create(SKColorType.Rgba16161616, width, height, MemoryMarshal.AsBytes(rgba.AsSpan()).ToArray());
    }

    /// <summary>Undoes one row's PNG filter in place (PNG specification, section 9).</summary>
    private static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int pixelBytes, string path)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int left = i >= pixelBytes ? row[i - pixelBytes] : 0, up = previous[i], upLeft = i >= pixelBytes ? previous[i - pixelBytes] : 0;
            row[i] = (byte)(row[i] + filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                4 => Paeth(left, up, upLeft),
                _ => throw new InvalidDataException($"{path}: decoding failed (row filter {filter}); the file may be truncated or corrupt."),
            });
        }
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        int estimate = left + up - upLeft;
        int toLeft = Math.Abs(estimate - left), toUp = Math.Abs(estimate - up), toUpLeft = Math.Abs(estimate - upLeft);
        return toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
    }

    /// <summary>The chunks after the signature, up to IEND or the last whole chunk of a truncated file.</summary>
    private static IEnumerable<(string Type, byte[] Data)> Chunks(byte[] bytes)
    {
        for (long at = Signature.Length; at + 8 <= bytes.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at));
            var type = System.Text.Encoding.ASCII.GetString(bytes, (int)at + 4, 4);
            if (at + 12 + length > bytes.Length || type == "IEND") yield break;
            yield return (type, bytes.AsSpan((int)at + 8, (int)length).ToArray());
            at += 12 + length;
        }
    }
}
