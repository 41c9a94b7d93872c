using System.Buffers.Binary;
using QuantUNet.Integer.Format;
using SkiaSharp;

namespace QuantUNet.Data;

/// <summary>
/// Reads and writes image and mask files with SkiaSharp (the same Skia ML.NET's ImageAnalytics uses), converting
/// between files and the planar-float / 0-1 byte layouts of <see cref="SegmentationSample"/>.
/// </summary>
/// <remarks>
/// Reading accepts whatever Skia decodes (PNG, JPEG, BMP, GIF, WebP, ICO, WBMP) and TIFF, which is decoded with
/// LibTiff.NET when the extension is .tif/.tiff or the file starts with a TIFF header. TIFF files are read from their
/// first page, in strips, uncompressed or compressed (Deflate, Adobe Deflate, LZW, PackBits, ...), with unsigned 1-,
/// 8- or 16-bit samples, grey or RGB, optionally with one alpha sample, chunky or planar; other TIFFs (float or signed
/// samples, tiles, palette, YCbCr, CMYK, extra non-alpha samples) are refused with an <see cref="InvalidDataException"/>.
/// Every file is decoded to premultiplied RGBA whatever its own colour type (grey, palette, BGRA, 16-bit),
/// so transparency is composited over black and alpha is then dropped. EXIF orientation is not applied.
/// 16-bit PNGs (not interlaced; an interlaced one Skia decodes to 8 bits) and 16-bit TIFFs keep their 16 bits through decoding and resizing.
/// Grey value of a pixel: its value when R = G = B, else the luminance 0.299 R + 0.587 G + 0.114 B.
/// </remarks>
public static class ImageFile
{
    /// <summary>
    /// The largest image read, in pixels (8192 x 8192). Its size is taken from the file's header and checked before any
    /// pixel is decoded, so an oversized or forged header is refused with its size instead of exhausting memory.
    /// </summary>
    public const long MaxPixels = (long)MaxSide * MaxSide;

    /// <summary>The side of the largest square image read.</summary>
    public const int MaxSide = 8192;

    /// <summary>
    /// Reads an image as planar floats in [0, 1]: each sample divided by its type's maximum (255 for 8-bit files,
    /// 65535 for 16-bit PNG and TIFF, 1 for 1-bit TIFF). One channel takes each pixel's grey value; three take R, G, B
    /// (a grey file gives three equal planes). With <paramref name="size"/> the image is resized with Skia's
    /// high-quality filter (mipmapped when shrinking, bicubic when enlarging), whatever the file format.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not a decodable image, truncated, has no pixels or more than <see cref="MaxPixels"/>, or is a
    /// TIFF variant not read (see the remarks); the message names the file.</exception>
    public static PlanarImage ReadImage(string path, int channels, ImageSize? size = null)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"{path}: an image file is read as 1 (grey) or 3 (RGB) channels.");
        CheckSize(size, path);
        using var decoded = Decode(path, ReadFile(path));
        using var resized = size is { } target && !SameSize(decoded, target) ? SkiaRaster.Resize(decoded, target, path) : null;
        return SkiaRaster.ToPlanar(resized ?? decoded, channels);
    }

    /// <summary>
    /// Reads a mask as 0/1 bytes by <see cref="MaskBinarisation"/>'s rule, applied to the file's levels at its own depth
    /// (16-bit PNG and TIFF at 16 bits): grey values (colour composited over black), except that a mask whose colour
    /// carries nothing (one colour throughout) while its alpha varies is read from its alpha, and a palette PNG the rule
    /// reads as empty has every pixel whose colour differs from palette entry 0 (the background) as foreground. A 1-bit
    /// TIFF's 1 is full scale, so its set pixels are foreground. With <paramref name="size"/> the binary mask is then
    /// resized by nearest neighbour, so no new label values appear.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not a decodable image, truncated, has no pixels or more than <see cref="MaxPixels"/>, or is a
    /// TIFF variant not read (see the remarks); the message names the file.</exception>
    public static BinaryMask ReadMask(string path, ImageSize? size = null)
    {
        CheckSize(size, path);
        var bytes = ReadFile(path);
        using var decoded = Decode(path, bytes);
        int height = decoded.Height, width = decoded.Width;
        var levels = SkiaRaster.GreyLevels(decoded);
        var alpha = SkiaRaster.AlphaLevels(decoded);
        if (IsConstant(levels) && !IsConstant(alpha))
            levels = alpha;
        var mask = new byte[levels.Length];
        bool heldData = MaskBinarisation.Binarise<int>(levels, (int)SkiaRaster.FullScale(decoded), mask, lossy: IsJpeg(bytes));
        if (heldData && Array.IndexOf(mask, (byte)1) < 0 && PngChunks.PaletteBackground(bytes) is { } background)
            SkiaRaster.MarkOtherThan(decoded, background, mask);
        bool readAsEmpty = heldData && Array.IndexOf(mask, (byte)1) < 0;
        // Binarise before resizing: the max-is-1 rule must see the file's own values.
        if (size is { } target && (target.Height != height || target.Width != width))
            return new BinaryMask(target.Height, target.Width, MaskResize.Nearest(mask, height, width, target)) { DataReadAsEmpty = readAsEmpty };
        return new BinaryMask(height, width, mask) { DataReadAsEmpty = readAsEmpty };
    }

    /// <summary>
    /// The colour channels a file declares in its header: 1 for a grey file (grey or grey + alpha PNG, grey TIFF, grey
    /// JPEG), 3 for a colour one (RGB or RGBA, palette PNG, RGB TIFF, colour JPEG), whatever its pixels hold. The declared
    /// count, not the content, because content changes from slice to slice: an all-black slice of an RGB MRI series has
    /// equal channels and would count as grey, making one patient's folder look mixed.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or not a readable image; the message names the file.</exception>
    public static int DeclaredChannels(string path)
    {
        var bytes = ReadFile(path);
        if (TiffDecoder.IsTiff(path, bytes))
            return TiffDecoder.DeclaredColours(path, bytes);
        // Skia reports a grey + alpha PNG as RGBA, so a PNG's own colour type decides.
        if (PngChunks.IsPng(bytes))
            return PngChunks.DeclaredChannels(bytes);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw NotDecodable(path, bytes);
        return codec.Info.ColorType == SKColorType.Gray8 ? 1 : 3;
    }

    /// <summary>Writes a 1-channel image as an 8-bit grey PNG or a 3-channel one as RGB; values are clamped to [0, 1].</summary>
    public static void WriteImage(string path, PlanarImage image)
    {
        if (image.Channels is not (1 or 3))
            throw new ArgumentException($"{path}: a PNG holds 1 (grey) or 3 (RGB) channels, not {image.Channels}.", nameof(image));
        int count = CheckLength(path, image.Pixels.Length, image.Channels, image.Height, image.Width);
        var pixels = image.Pixels;
        SKImageInfo info;
        byte[] bytes;
        if (image.Channels == 1)
        {
            info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
            bytes = new byte[count];
            for (int i = 0; i < count; i++)
                bytes[i] = ToByte(pixels[i], path);
        }
        else
        {
            info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            bytes = new byte[4 * count];
            for (int i = 0; i < count; i++)
            {
                bytes[4 * i] = ToByte(pixels[i], path);
                bytes[4 * i + 1] = ToByte(pixels[count + i], path);
                bytes[4 * i + 2] = ToByte(pixels[2 * count + i], path);
                bytes[4 * i + 3] = 255;
            }
        }
        WritePng(path, info, bytes);
    }

    /// <summary>Writes a mask as an 8-bit grey PNG: 255 where the mask is non-zero, 0 elsewhere.</summary>
    public static void WriteMask(string path, BinaryMask mask)
    {
        int count = CheckLength(path, mask.Pixels.Length, 1, mask.Height, mask.Width);
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
            bytes[i] = mask.Pixels[i] != 0 ? (byte)255 : (byte)0;
        WritePng(path, new SKImageInfo(mask.Width, mask.Height, SKColorType.Gray8, SKAlphaType.Opaque), bytes);
    }

    private static byte[] ReadFile(string path) => InputImages.ReadAllBytes(path);

    private static SKBitmap Decode(string path, byte[] bytes)
    {
        if (TiffDecoder.IsTiff(path, bytes))
            return TiffDecoder.Decode(path, bytes);
        if (PngChunks.IsSixteenBit(bytes))
            return PngChunks.DecodeSixteenBit(path, bytes);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw NotDecodable(path, bytes);
        CheckPixelCount(path, codec.Info.Width, codec.Info.Height);
        // One explicit target layout: left alone, Skia would hand back Gray8, Bgra8888 or others depending on the file.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException($"{path}: decoding failed ({result}); the file may be truncated or corrupt.");
        }
        return bitmap;
    }

    private static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]);

    private static bool IsConstant(int[] levels) => Array.TrueForAll(levels, level => level == levels[0]);

    private static InvalidDataException NotDecodable(string path, byte[] bytes)
    {
        // libpng refuses a PNG of zero width or height before Skia reports a size: read it from the IHDR chunk to say so.
        if (bytes.AsSpan().StartsWith(PngChunks.Signature) && bytes.Length >= 24)
            CheckPixelCount(path, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        return new InvalidDataException($"{path}: not an image format SkiaSharp can decode (PNG, JPEG, BMP, GIF, WebP) nor TIFF.");
    }

    /// <summary>Refuses, naming the file and its size, an image without pixels or larger than <see cref="MaxPixels"/>.</summary>
    internal static void CheckPixelCount(string path, int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{path}: image has no pixels ({width}x{height}).");
        if ((long)width * height > MaxPixels)
            throw new InvalidDataException($"{path}: image is {width}x{height} ({(long)width * height} pixels), more than the {MaxPixels} (8192x8192) read; refused before decoding.");
    }

    // default(ImageSize) skips the constructor's check, so a 0x0 target can still arrive here.
    private static void CheckSize(ImageSize? size, string path)
    {
        if (size is { Height: <= 0 } or { Width: <= 0 })
            throw new ArgumentOutOfRangeException(nameof(size), size, $"{path}: cannot resize to an empty size.");
    }

    private static bool SameSize(SKBitmap bitmap, ImageSize size) => bitmap.Height == size.Height && bitmap.Width == size.Width;

    private static byte ToByte(float value, string path)
    {
        if (float.IsNaN(value))
            throw new ArgumentException($"{path}: image holds NaN pixel values.");
        return (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f);
    }

    private static int CheckLength(string path, int length, int channels, int height, int width)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentException($"{path}: cannot write an empty {height}x{width} image.");
        if (length != channels * height * width)
            throw new ArgumentException($"{path}: {length} values for a {channels}x{height}x{width} image.");
        return height * width;
    }

    private static void WritePng(string path, SKImageInfo info, byte[] bytes)
    {
        using var image = SKImage.FromPixelCopy(info, bytes)
            ?? throw new InvalidOperationException($"{path}: Skia refused a {info.Width}x{info.Height} {info.ColorType} image.");
        using var png = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"{path}: Skia could not encode the image as PNG.");
        AtomicFile.WriteAllBytes(path, png.AsSpan());
    }
}
