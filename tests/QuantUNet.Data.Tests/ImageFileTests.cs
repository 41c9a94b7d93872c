using SkiaSharp;

namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class ImageFileTests
{
    [TestMethod]
    public void GreyPngRoundTripsExactly()
    {
        using var folder = new TempFolder();
        string path = folder.File("grey.png");
        float[] pixels = [.. Enumerable.Range(0, 15).Select(i => i * 17 / 255f)]; // 0 .. 238 in steps of 17

        ImageFile.WriteImage(path, new PlanarImage(1, 3, 5, pixels));
        var read = ImageFile.ReadImage(path, channels: 1);

        Assert.AreEqual((1, 3, 5), (read.Channels, read.Height, read.Width));
        Assert.AreSequenceEqual(pixels, read.Pixels);
        Assert.AreEqual(SKColorType.Gray8, FileColorType(path)); // an 8-bit grey PNG, not RGBA
    }

    [TestMethod]
    public void RgbPngRoundTripsExactly()
    {
        using var folder = new TempFolder();
        string path = folder.File("rgb.png");
        // Planes: red rising, green falling, blue constant, so a swapped or interleaved plane would show.
        float[] pixels = [.. Enumerable.Range(0, 6).Select(i => i * 40 / 255f), .. Enumerable.Range(0, 6).Select(i => (255 - i * 40) / 255f), .. Enumerable.Repeat(9 / 255f, 6)];

        ImageFile.WriteImage(path, new PlanarImage(3, 2, 3, pixels));
        var read = ImageFile.ReadImage(path, channels: 3);

        Assert.AreEqual((3, 2, 3), (read.Channels, read.Height, read.Width));
        Assert.AreSequenceEqual(pixels, read.Pixels);
    }

    [TestMethod]
    public void GreyFileReadAsThreeChannelsReplicates()
    {
        using var folder = new TempFolder();
        string path = folder.File("grey.png");
        float[] pixels = [0f, 0.2f, 0.6f, 1f];
        ImageFile.WriteImage(path, new PlanarImage(1, 2, 2, pixels));

        var read = ImageFile.ReadImage(path, channels: 3);

        var expected = ImageFile.ReadImage(path, channels: 1).Pixels;
        Assert.AreSequenceEqual(expected.Concat(expected).Concat(expected), read.Pixels);
    }

    [TestMethod]
    public void ColourFileReadAsOneChannelUsesLuminance()
    {
        using var folder = new TempFolder();
        string path = folder.File("rgb.png");
        // Pixels: pure red, pure green, pure blue, grey 10.
        float[] red = [1, 0, 0, 10 / 255f], green = [0, 1, 0, 10 / 255f], blue = [0, 0, 1, 10 / 255f];
        ImageFile.WriteImage(path, new PlanarImage(3, 1, 4, [.. red, .. green, .. blue]));

        var read = ImageFile.ReadImage(path, channels: 1);

        Assert.AreEqual(0.299f, read.Pixels[0], 1e-6f);
        Assert.AreEqual(0.587f, read.Pixels[1], 1e-6f);
        Assert.AreEqual(0.114f, read.Pixels[2], 1e-6f);
        Assert.AreEqual(10 / 255f, read.Pixels[3]); // grey stays exact
    }

    [TestMethod]
    public void WritingClampsToTheUnitRange()
    {
        using var folder = new TempFolder();
        string path = folder.File("clamped.png");

        ImageFile.WriteImage(path, new PlanarImage(1, 1, 2, [-0.5f, 1.5f]));

        Assert.AreSequenceEqual(new[] { 0f, 1f }, ImageFile.ReadImage(path, 1).Pixels);
    }

    [TestMethod]
    public void OnlyOneOrThreeChannelsFitAPng()
    {
        using var folder = new TempFolder();
        string path = folder.File("two.png");

        var error = Assert.ThrowsExactly<ArgumentException>(() => ImageFile.WriteImage(path, new PlanarImage(2, 1, 1, [0f, 0f])));

        Assert.Contains(path, error.Message);
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void MaskRoundTripsAs0And255()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask.png");
        byte[] mask = Masks.Parse("0110", "1001", "0000");

        ImageFile.WriteMask(path, new BinaryMask(3, 4, mask));

        Assert.AreSequenceEqual(mask, ImageFile.ReadMask(path).Pixels);
        Assert.AreSequenceEqual(mask.Select(m => m * 255), GreyBytes(path).Select(b => (int)b));
    }

    [TestMethod]
    public void MaskThresholdIsAbove127()
    {
        using var folder = new TempFolder();
        string path = folder.File("levels.png");
        WriteGrey(path, 1, 6, [0, 100, 127, 128, 200, 255]);

        Assert.AreSequenceEqual(new byte[] { 0, 0, 0, 1, 1, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void ZeroOneLabelImageCountsEveryNonZeroPixel()
    {
        using var folder = new TempFolder();
        string path = folder.File("labels.png");
        WriteGrey(path, 2, 3, [0, 1, 1, 0, 0, 1]);

        Assert.AreSequenceEqual(new byte[] { 0, 1, 1, 0, 0, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void ImageResizeKeepsContentInPlace()
    {
        using var folder = new TempFolder();
        string path = folder.File("halves.png");
        // 4x4: left half black, right half white.
        ImageFile.WriteImage(path, new PlanarImage(1, 4, 4, [.. Enumerable.Range(0, 16).Select(i => i % 4 < 2 ? 0f : 1f)]));

        var read = ImageFile.ReadImage(path, 1, new ImageSize(8, 12));

        Assert.AreEqual((8, 12), (read.Height, read.Width));
        for (int y = 0; y < 8; y++)
        {
            Assert.IsLessThan(0.1f, read.Pixels[y * 12]);
            Assert.IsGreaterThan(0.9f, read.Pixels[y * 12 + 11]);
        }
    }

    [TestMethod]
    public void UniformImageStaysUniformWhenShrunk()
    {
        using var folder = new TempFolder();
        string path = folder.File("flat.png");
        ImageFile.WriteImage(path, new PlanarImage(3, 20, 30, [.. Enumerable.Repeat(128 / 255f, 3 * 600)]));

        var read = ImageFile.ReadImage(path, 3, new ImageSize(10, 7));

        Assert.HasCount(3 * 70, read.Pixels);
        Assert.IsTrue(read.Pixels.All(p => Math.Abs(p - 128 / 255f) <= 1 / 255f));
    }

    [TestMethod]
    public void MaskResizeIsNearestNeighbour()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask.png");
        ImageFile.WriteMask(path, new BinaryMask(2, 2, Masks.Parse("10", "01")));

        var enlarged = ImageFile.ReadMask(path, ImageSize.Square(4));

        Assert.AreSequenceEqual(Masks.Parse("1100", "1100", "0011", "0011"), enlarged.Pixels);
    }

    [TestMethod]
    public void MaskShrinkSamplesPixelCentres()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask.png");
        ImageFile.WriteMask(path, new BinaryMask(4, 4, Masks.Parse("0000", "0101", "0000", "1001")));

        var shrunk = ImageFile.ReadMask(path, ImageSize.Square(2));

        // Target pixel (y, x) samples source (2y + 1, 2x + 1).
        Assert.AreSequenceEqual(Masks.Parse("11", "01"), shrunk.Pixels);
    }

    [TestMethod]
    public void ReadsJpeg()
    {
        using var folder = new TempFolder();
        string path = folder.File("gradient.jpg");
        // A smooth horizontal gradient survives JPEG compression within a few grey levels.
        byte[] grey = [.. Enumerable.Range(0, 16 * 32).Select(i => (byte)(i % 32 * 8))];
        using (var image = SKImage.FromPixelCopy(new SKImageInfo(32, 16, SKColorType.Gray8, SKAlphaType.Opaque), grey))
        using (var jpeg = image.Encode(SKEncodedImageFormat.Jpeg, 95))
            File.WriteAllBytes(path, jpeg.ToArray());

        var asGrey = ImageFile.ReadImage(path, 1);
        var asRgb = ImageFile.ReadImage(path, 3);

        Assert.AreEqual((16, 32), (asGrey.Height, asGrey.Width));
        for (int i = 0; i < grey.Length; i++)
            Assert.AreEqual(grey[i] / 255f, asGrey.Pixels[i], 6 / 255f, $"pixel {i}");
        Assert.HasCount(3 * grey.Length, asRgb.Pixels);
    }

    [TestMethod]
    public void MissingFileIsNamed()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "absent.png");

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => ImageFile.ReadImage(path, 1));

        Assert.AreEqual(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [TestMethod]
    public void EmptyFileIsNamed()
    {
        using var folder = new TempFolder();
        string path = folder.File("empty.png");
        File.WriteAllBytes(path, []);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadMask(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [TestMethod]
    public void NonImageIsNamed()
    {
        using var folder = new TempFolder();
        string path = folder.File("notes.png");
        File.WriteAllText(path, "this is not a picture");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.Contains(path, error.Message);
    }

    [TestMethod]
    public void TruncatedPngIsNamed()
    {
        using var folder = new TempFolder();
        string whole = folder.File("whole.png"), cut = folder.File("cut.png");
        ImageFile.WriteImage(whole, new PlanarImage(1, 64, 64, [.. Enumerable.Range(0, 4096).Select(i => i % 251 / 255f)]));
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(cut, 1));

        Assert.Contains(cut, error.Message);
    }

    [TestMethod]
    public void WritesLeaveOnlyTheFinalFile()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "sub", "mask.png");

        ImageFile.WriteMask(path, new BinaryMask(1, 2, [1, 1]));
        ImageFile.WriteMask(path, new BinaryMask(1, 2, [0, 1])); // overwrite in place

        Assert.AreSequenceEqual(new[] { path }, Directory.GetFiles(Path.GetDirectoryName(path)!, "*", SearchOption.AllDirectories));
        Assert.AreSequenceEqual(new byte[] { 0, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    private static void WriteGrey(string path, int height, int width, byte[] values)
    {
        using var image = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), values);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }

    private static byte[] GreyBytes(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        return [.. Enumerable.Range(0, bitmap.Width * bitmap.Height).Select(i => bitmap.GetPixel(i % bitmap.Width, i / bitmap.Width).Red)];
    }

    private static SKColorType FileColorType(string path)
    {
        using var codec = SKCodec.Create(path);
        return codec.Info.ColorType;
    }
}
