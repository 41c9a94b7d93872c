using System.Buffers.Binary;

namespace QuantUNet.Data.Tests;

/// <summary>Writes PNG files Skia cannot encode (16-bit samples, palettes) chunk by chunk, as the PNG specification lays them out.</summary>
internal static class PngFiles
{
    /// <summary>A one-row 16-bit grey PNG holding <paramref name="samples"/>.</summary>
    public static byte[] SixteenBitGrey(ushort[] samples)
    {
        var row = new byte[2 * samples.Length];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * i), samples[i]);
        return Png(samples.Length, 1, bitDepth: 16, colourType: 0, [row], []);
    }

    /// <summary>An 8-bit palette PNG: <paramref name="indices"/> row by row, into <paramref name="palette"/> (RGB triples).</summary>
    public static byte[] Palette(int width, byte[] indices, params (byte R, byte G, byte B)[] palette) =>
        Png(width, indices.Length / width, bitDepth: 8, colourType: 3, [.. indices.Chunk(width)],
            [("PLTE", [.. palette.SelectMany(c => new[] { c.R, c.G, c.B })])]);

    private static byte[] Png(int width, int height, byte bitDepth, byte colourType, byte[][] rows, (string Type, byte[] Data)[] beforeData)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colourType; // compression, filter and interlace stay 0
        var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal))
            foreach (var row in rows)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(row);
            }
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, .. Chunk("IHDR", header), .. beforeData.SelectMany(c => Chunk(c.Type, c.Data)),
            .. Chunk("IDAT", compressed.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        var chunk = new byte[4 + typed.Length + 4]; // length, type and data, CRC
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typed.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4 + typed.Length), Crc32(typed));
        return chunk;
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
