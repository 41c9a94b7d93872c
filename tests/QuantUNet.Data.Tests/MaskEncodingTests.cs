using System.Runtime.InteropServices;
using SkiaSharp;

namespace QuantUNet.Data.Tests;

/// <summary>
/// Mask files whose foreground an 8-bit grey reading loses (issue 15, item 1): each is read as the user meant by the one
/// rule of <see cref="MaskBinarisation"/>, and a file whose data the rule still reads as empty is flagged for a warning.
/// </summary>
[TestClass]
public sealed class MaskEncodingTests
{
    // A 4x4 mask with a 2x2 foreground square, the truth every encoding below must give back.
    private static readonly byte[] Square = Masks.Parse("....", ".##.", ".##.", "....");

    [TestMethod]
    public void ForegroundOnlyInTheAlphaChannelIsReadFromAlpha()
    {
        using var folder = new TempFolder();
        string path = folder.File("alpha.png");
        // Black everywhere; the shape is opaque, the rest transparent: composited over black, the colour carries nothing.
        var rgba = Square.SelectMany(v => new byte[] { 0, 0, 0, (byte)(v * 255) }).ToArray();
        WriteRgba(path, 4, 4, rgba);

        var mask = ImageFile.ReadMask(path);

        CollectionAssert.AreEqual(Square, mask.Pixels);
        Assert.IsFalse(mask.DataReadAsEmpty);
    }

    [TestMethod]
    public void PaletteMaskWithADarkForegroundColourIsReadByColourOtherThanEntryZero()
    {
        using var folder = new TempFolder();
        string path = folder.File("palette.png");
        // VOC-style labels: entry 0 black background, entry 1 dark red (luminance 38, below 128).
        File.WriteAllBytes(path, PngFiles.Palette(4, Square, (0, 0, 0), (128, 0, 0)));

        var mask = ImageFile.ReadMask(path);

        CollectionAssert.AreEqual(Square, mask.Pixels);
        Assert.IsFalse(mask.DataReadAsEmpty);
    }

    [TestMethod]
    public void PaletteMaskWithABrightBackgroundEntryStillTakesTheBrightColourAsForeground()
    {
        using var folder = new TempFolder();
        string path = folder.File("palette.png");
        // Entry 0 white: the grey rule finds the white square first, as it did before palettes were looked at.
        var inverted = Square.Select(v => (byte)(1 - v)).ToArray();
        File.WriteAllBytes(path, PngFiles.Palette(4, inverted, (255, 255, 255), (0, 0, 0)));

        CollectionAssert.AreEqual(Square, ImageFile.ReadMask(path).Pixels, "the white square, index 0, is the foreground");
    }

    [TestMethod]
    public void SixteenBitZeroOneMaskIsReadAtItsOwnDepth()
    {
        using var folder = new TempFolder();
        string path = folder.File("labels16.png");
        File.WriteAllBytes(path, PngFiles.SixteenBitGrey([0, 1, 1, 0, 1]));

        CollectionAssert.AreEqual(new byte[] { 0, 1, 1, 0, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void SixteenBitMaskAboveHalfItsScaleIsForeground()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask16.png");
        File.WriteAllBytes(path, PngFiles.SixteenBitGrey([0, 65535, 32767, 32768]));

        CollectionAssert.AreEqual(new byte[] { 0, 1, 0, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void JpegCompressedZeroOneMaskIsReadAsAZeroOneMap()
    {
        using var folder = new TempFolder();
        string path = folder.File("labels.jpg");
        // A disc of 1s on 0s, JPEG at quality 90: compression spreads the levels to 0..2.
        var truth = new byte[32 * 32];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                truth[y * 32 + x] = (x - 16) * (x - 16) + (y - 16) * (y - 16) < 64 ? (byte)1 : (byte)0;
        using (var bitmap = new SKBitmap(new SKImageInfo(32, 32, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            Marshal.Copy(truth, 0, bitmap.GetPixels(), truth.Length);
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
        }

        var mask = ImageFile.ReadMask(path);

        int agree = truth.Zip(mask.Pixels).Count(p => p.First == p.Second);
        Assert.IsGreaterThan(0.95, agree / (double)truth.Length, $"{agree} of {truth.Length} pixels agree; read as empty it would be {truth.Length - truth.Count(v => v == 1)}");
        Assert.IsGreaterThan(150, mask.Pixels.Count(v => v == 1), "the disc (197 pixels) is found");
    }

    [TestMethod]
    public void MultiClassLabelMapIsReadAsEmptyAndFlaggedSoTheFolderReaderWarns()
    {
        using var folder = new TempFolder();
        // Labels 0, 2, 3: largest above 1 and below half the 8-bit scale, so the rule finds no foreground.
        WriteGrey(folder.File("data/a_mask.png"), 4, 4, [.. Square.Select(v => (byte)(v * 2))]);
        WriteGrey(folder.File("data/b_mask.png"), 4, 4, [.. Square.Select(v => (byte)(v * 255))]);
        foreach (var name in new[] { "a", "b" })
            ImageFile.WriteImage(folder.File($"data/{name}.png"), new PlanarImage(1, 4, 4, new float[16]));

        var loaded = ImageFolderDataset.LoadWithWarnings(Path.Combine(folder.Path, "data"));

        Assert.IsTrue(ImageFile.ReadMask(folder.File("data/a_mask.png")).DataReadAsEmpty);
        Assert.IsFalse(ImageFile.ReadMask(folder.File("data/b_mask.png")).DataReadAsEmpty);
        Assert.HasCount(1, loaded.Warnings);
        Assert.AreEqual($"{Path.Combine(folder.Path, "data")}: 1 mask file holds non-zero values that the mask rule reads as empty "
            + $"(a multi-class label map, or foreground darker than half the scale?): {folder.File("data/a_mask.png")}.", loaded.Warnings[0]);
    }

    [TestMethod]
    public void TheRuleIsTheOneForFilesAndVectors()
    {
        var mask = new byte[4];
        Assert.IsTrue(MaskBinarisation.Binarise<float>([0f, 0.4f, 0.6f, 1f], 255f, mask));
        CollectionAssert.AreEqual(new byte[] { 0, 0, 1, 1 }, mask, "probabilities: above 0.5");
        MaskBinarisation.Binarise<byte>([0, 127, 128, 255], 255, mask);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 1, 1 }, mask, "0/255: above 127");
        MaskBinarisation.Binarise<int>([0, 1, 2, 3], 255, mask, lossy: true);
        CollectionAssert.AreEqual(new byte[] { 0, 1, 1, 1 }, mask, "JPEG-blurred 0/1 map");
        Assert.IsTrue(MaskBinarisation.Binarise<int>([0, 2, 3, 0], 255, mask));
        CollectionAssert.AreEqual(new byte[4], mask, "labels 2 and 3 are below half the scale: empty, and data was there");
        Assert.IsFalse(MaskBinarisation.Binarise<int>([0, 0, 0, 0], 255, mask));
    }

    private static void WriteRgba(string path, int width, int height, byte[] rgba) =>
        WritePng(path, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba);

    private static void WriteGrey(string path, int width, int height, byte[] grey) =>
        WritePng(path, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), grey);

    private static void WritePng(string path, SKImageInfo info, byte[] pixels)
    {
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
    }
}
