using BitMiracle.LibTiff.Classic;

namespace QuantUNet.Data.Tests;

/// <summary>Writes small TIFF files with LibTiff.NET so the reader is tested on layouts other tools produce.</summary>
internal static class TiffFiles
{
    /// <summary>What to write besides the samples; the defaults give an uncompressed little-endian 8-bit grey file.</summary>
    public sealed record Layout
    {
        public int BitsPerSample { get; init; } = 8;

        public int SamplesPerPixel { get; init; } = 1;

        public Photometric Photometric { get; init; } = Photometric.MINISBLACK;

        public Compression Compression { get; init; } = Compression.NONE;

        /// <summary>Horizontal differencing (TIFF predictor 2), which LZW and Deflate writers often add.</summary>
        public bool Predictor { get; init; }

        public bool Planar { get; init; }

        public bool BigEndian { get; init; }

        public SampleFormat SampleFormat { get; init; } = SampleFormat.UINT;

        public ExtraSample? Extra { get; init; }

        /// <summary>Rows per strip; small so that multi-strip reading is exercised.</summary>
        public int RowsPerStrip { get; init; } = 2;
    }

    /// <summary>Writes <paramref name="samples"/>, given pixel by pixel (chunky order) whatever the layout stores.</summary>
    public static void Write(string path, int height, int width, Layout layout, ushort[] samples)
    {
        int perPixel = layout.SamplesPerPixel;
        if (samples.Length != height * width * perPixel)
            throw new ArgumentException($"{samples.Length} samples for {height}x{width}x{perPixel}.");
        using var tiff = Tiff.Open(path, layout.BigEndian ? "wb" : "wl") ?? throw new IOException($"{path}: LibTiff could not create it.");
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        tiff.SetField(TiffTag.BITSPERSAMPLE, layout.BitsPerSample);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, perPixel);
        tiff.SetField(TiffTag.SAMPLEFORMAT, layout.SampleFormat);
        tiff.SetField(TiffTag.PHOTOMETRIC, layout.Photometric);
        tiff.SetField(TiffTag.COMPRESSION, layout.Compression);
        tiff.SetField(TiffTag.PLANARCONFIG, layout.Planar ? PlanarConfig.SEPARATE : PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.ROWSPERSTRIP, layout.RowsPerStrip);
        if (layout.Predictor)
            tiff.SetField(TiffTag.PREDICTOR, Predictor.HORIZONTAL);
        if (layout.Extra is { } extra)
            tiff.SetField(TiffTag.EXTRASAMPLES, 1, new[] { (short)extra });

        int planes = layout.Planar ? perPixel : 1, perRow = layout.Planar ? width : width * perPixel;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int y = 0; y < height; y++)
            {
                var row = new ushort[perRow];
                for (int k = 0; k < perRow; k++)
                    row[k] = samples[layout.Planar ? (y * width + k) * perPixel + plane : y * perRow + k];
                if (!tiff.WriteScanline(Pack(row, layout.BitsPerSample), y, (short)plane))
                    throw new IOException($"{path}: LibTiff could not write row {y}.");
            }
        }
    }

    /// <summary>Row bytes in the machine's order, as LibTiff.NET expects them (it swaps for big-endian files).</summary>
    private static byte[] Pack(ushort[] row, int bits)
    {
        switch (bits)
        {
            case 1:
                var packed = new byte[(row.Length + 7) / 8];
                for (int k = 0; k < row.Length; k++)
                    packed[k / 8] |= (byte)(row[k] << (7 - k % 8));
                return packed;
            case 8:
                return [.. row.Select(v => (byte)v)];
            case 16:
                return [.. row.SelectMany(BitConverter.GetBytes)];
            default:
                // 32 bits: only float files are written, to test that they are refused.
                return [.. row.SelectMany(v => BitConverter.GetBytes((float)v))];
        }
    }
}
