using System.Globalization;
using System.Runtime.InteropServices;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace QuantUNet.Data;

/// <summary>
/// Decodes TIFF files with LibTiff.NET into <see cref="SkiaRaster"/> bitmaps: the first page, stored in strips (not
/// tiles), uncompressed or in any codec LibTiff.NET implements (Deflate, Adobe Deflate, LZW, PackBits, ...); unsigned
/// 1-, 8- or 16-bit samples; grey (MinIsBlack, MinIsWhite) or RGB, optionally with one alpha sample; chunky or planar.
/// 16-bit files become RGBA16161616 bitmaps, so they keep their precision; the others RGBA8888 (1-bit: 0 or 255).
/// Unassociated alpha is multiplied in, so transparency is composited over black as in the Skia path.
/// </summary>
internal static class TiffDecoder
{
    public static IReadOnlyList<string> Extensions { get; } = [".tif", ".tiff"];

    // LibTiff.NET reports problems only through one library-wide handler; it routes each message to its file.
    static TiffDecoder() => Tiff.SetErrorHandler(new MessageRouter());

    /// <summary>Whether a file is TIFF by its extension or its first bytes (classic or BigTIFF, either byte order).</summary>
    public static bool IsTiff(string path, ReadOnlySpan<byte> bytes) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase)
        || bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8) || bytes.StartsWith("II+\0"u8) || bytes.StartsWith("MM\0+"u8);

    /// <exception cref="InvalidDataException">Not a TIFF, truncated or corrupt, or a layout listed above as unsupported.</exception>
    public static SKBitmap Decode(string path, byte[] bytes)
    {
        var source = new TiffSource(bytes, path);
        try
        {
            using var tiff = Tiff.ClientOpen(path, "r", source, new TiffStream())
                ?? throw source.Failure("not a readable TIFF file");
            var format = Format.Read(tiff, path);
            return ToBitmap(ReadSamples(tiff, format, source), format);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            // LibTiff.NET throws plain exceptions (index out of range, ...) on some corrupt files.
            throw source.Failure($"decoding failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>The colour channels the first page declares: 1 (grey) or 3 (RGB), alpha not counted; no pixel is decoded.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Decode"/> for a file it cannot read.</exception>
    public static int DeclaredColours(string path, byte[] bytes)
    {
        var source = new TiffSource(bytes, path);
        try
        {
            using var tiff = Tiff.ClientOpen(path, "r", source, new TiffStream())
                ?? throw source.Failure("not a readable TIFF file");
            return Format.Read(tiff, path).Colours;
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw source.Failure($"reading its header failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>All samples of the first page, pixel by pixel (chunky order), in the file's own units, grey not yet inverted.</summary>
    private static ushort[] ReadSamples(Tiff tiff, Format format, TiffSource source)
    {
        int perPixel = format.SamplesPerPixel, width = format.Width;
        var samples = new ushort[format.Height * width * perPixel];
        var row = new byte[tiff.ScanlineSize()];
        // Planar files store each sample as its own plane of rows, read plane after plane as sequential codecs need.
        int planes = format.Planar ? perPixel : 1;
        int perRow = format.Planar ? width : width * perPixel;
        for (int plane = 0; plane < planes; plane++)
        {
            for (int y = 0; y < format.Height; y++)
            {
                if (!tiff.ReadScanline(row, y, (short)plane))
                    throw source.Failure($"row {y} of sample plane {plane} could not be decoded; the file may be truncated or corrupt");
                for (int k = 0; k < perRow; k++)
                    samples[format.Planar ? (y * width + k) * perPixel + plane : y * perRow + k] = Sample(row, k, format.BitsPerSample);
            }
        }
        return samples;
    }

    private static ushort Sample(byte[] row, int index, int bits) => bits switch
    {
        1 => (ushort)((row[index >> 3] >> (7 - (index & 7))) & 1),
        8 => row[index],
        // LibTiff.NET has already swapped 16-bit samples to the machine's byte order.
        _ => BitConverter.ToUInt16(row, 2 * index),
    };

    /// <summary>Colour <paramref name="channel"/> (R, G or B) of pixel <paramref name="pixel"/>, grey replicated and MinIsWhite inverted.</summary>
    private static int Colour(ushort[] samples, int pixel, int channel, Format format)
    {
        int value = samples[pixel * format.SamplesPerPixel + (format.Colours == 1 ? 0 : channel)];
        return format.MinIsWhite ? (1 << format.BitsPerSample) - 1 - value : value;
    }

    private static SKBitmap ToBitmap(ushort[] samples, Format format)
    {
        bool wide = format.BitsPerSample == 16;
        int fileMax = (1 << format.BitsPerSample) - 1, rasterMax = wide ? ushort.MaxValue : byte.MaxValue;
        int count = format.Width * format.Height, perPixel = format.SamplesPerPixel;
        var rgba = new byte[4 * count * (wide ? sizeof(ushort) : sizeof(byte))];
        var wideRgba = MemoryMarshal.Cast<byte, ushort>(rgba.AsSpan());
        for (int i = 0; i < count; i++)
        {
            int alpha = format.UnassociatedAlpha ? samples[i * perPixel + format.Colours] : fileMax;
            for (int c = 0; c < 4; c++)
            {
                // Colour is composited over black as in the Skia path: only unassociated alpha still needs multiplying in.
                double value = c == 3 ? fileMax : (double)Colour(samples, i, c, format) * alpha / fileMax;
                double scaled = Math.Round(value * rasterMax / fileMax);
                if (wide)
                    wideRgba[4 * i + c] = (ushort)scaled;
                else
                    rgba[4 * i + c] = (byte)scaled;
            }
        }
        return SkiaRaster.Create(wide ? SKColorType.Rgba16161616 : SKColorType.Rgba8888, format.Width, format.Height, rgba);
    }

    /// <summary>What the first page's tags say about its pixels, checked against what <see cref="TiffDecoder"/> reads.</summary>
    private sealed record Format(
        int Width, int Height, int SamplesPerPixel, int BitsPerSample, int Colours, bool MinIsWhite, bool Planar, bool UnassociatedAlpha)
    {
        public static Format Read(Tiff tiff, string path)
        {
            int width = Tag(tiff, TiffTag.IMAGEWIDTH, path), height = Tag(tiff, TiffTag.IMAGELENGTH, path);
            int perPixel = Defaulted(tiff, TiffTag.SAMPLESPERPIXEL), bits = Defaulted(tiff, TiffTag.BITSPERSAMPLE);
            var sampleFormat = (SampleFormat)Defaulted(tiff, TiffTag.SAMPLEFORMAT);
            ImageFile.CheckPixelCount(path, width, height);
            if (tiff.IsTiled())
                throw Unsupported(path, "tiled TIFF is not supported (save it in strips)");
            if (sampleFormat != SampleFormat.UINT || bits is not (1 or 8 or 16))
                throw Unsupported(path, $"{bits}-bit {sampleFormat} samples are not supported (unsigned integers of 1, 8 or 16 bits only)");

            var photometric = (Photometric)Tag(tiff, TiffTag.PHOTOMETRIC, path);
            int colours = photometric switch
            {
                Photometric.MINISBLACK or Photometric.MINISWHITE => 1,
                Photometric.RGB => 3,
                _ => throw Unsupported(path, $"photometric interpretation {photometric} is not supported (grey or RGB only)"),
            };
            var extra = tiff.GetFieldDefaulted(TiffTag.EXTRASAMPLES);
            var firstExtra = extra[0].ToInt() > 0 ? (ExtraSample)extra[1].ToByteArray()[0] : ExtraSample.UNSPECIFIED;
            bool alpha = firstExtra is ExtraSample.ASSOCALPHA or ExtraSample.UNASSALPHA;
            if (perPixel != colours + (alpha ? 1 : 0))
                throw Unsupported(path, $"{perPixel} samples per pixel for {photometric}; only grey or RGB, optionally with one alpha sample, are read");
            bool planar = (PlanarConfig)Defaulted(tiff, TiffTag.PLANARCONFIG) == PlanarConfig.SEPARATE;
            return new Format(width, height, perPixel, bits, colours, photometric == Photometric.MINISWHITE, planar, firstExtra == ExtraSample.UNASSALPHA);
        }

        private static int Tag(Tiff tiff, TiffTag tag, string path) =>
            tiff.GetField(tag)?[0].ToInt() ?? throw Unsupported(path, $"the required tag {tag} is missing");

        private static int Defaulted(Tiff tiff, TiffTag tag) => tiff.GetFieldDefaulted(tag)[0].ToInt();

        private static InvalidDataException Unsupported(string path, string reason) => new($"{path}: cannot read this TIFF: {reason}.");
    }

    /// <summary>The bytes of one file, handed to LibTiff.NET as its stream, collecting the library's error messages for it.</summary>
    private sealed class TiffSource(byte[] bytes, string path) : MemoryStream(bytes, writable: false)
    {
        // One Tiff object, hence one source, is only ever used by one thread.
        private readonly List<string> errors = [];

        // LibTiff starts most messages with the file name, which the exception's message already leads with.
        public void Add(string message) => errors.Add(message.Replace(path + ": ", "", StringComparison.Ordinal));

        public InvalidDataException Failure(string what, Exception? inner = null) =>
            new($"{path}: {what}{(errors.Count == 0 ? "" : $" (LibTiff: {string.Join("; ", errors)})")}.", inner);
    }

    /// <summary>
    /// Sends messages about a <see cref="TiffSource"/> to it instead of the console; warnings about such files (unknown
    /// tags and the like) are dropped. Messages about other reads keep the library's default console output.
    /// </summary>
    private sealed class MessageRouter : TiffErrorHandler
    {
        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args)
        {
            if (tif?.Clientdata() is not TiffSource)
                base.ErrorHandler(tif, method, format, args);
        }

        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args)
        {
            if ((clientData ?? tif?.Clientdata()) is TiffSource source)
                source.Add(string.Format(CultureInfo.InvariantCulture, format, args));
        }

        public override void WarningHandler(Tiff tif, string method, string format, params object[] args)
        {
            if (tif?.Clientdata() is not TiffSource)
                base.WarningHandler(tif, method, format, args);
        }
    }
}
