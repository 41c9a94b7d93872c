using BitMiracle.LibTiff.Classic;

namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class TiffReadingTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void SixteenBitGreyKeepsItsPrecision(bool bigEndian)
    {
        using var folder = new TempFolder();
        string path = folder.File("grey16.tif");
        ushort[] values = [0, 1, 257, 1000, 12345, 32767, 32768, 65535];
        TiffFiles.Write(path, 2, 4, new() { BitsPerSample = 16, BigEndian = bigEndian }, values);

        var grey = ImageFile.ReadImage(path, 1);
        var rgb = ImageFile.ReadImage(path, 3);

        Assert.AreEqual((1, 2, 4), (grey.Channels, grey.Height, grey.Width));
        Assert.AreSequenceEqual(values.Select(v => v / 65535f), grey.Pixels); // 1 and 257 would merge at 8 bits
        Assert.AreSequenceEqual(grey.Pixels.Concat(grey.Pixels).Concat(grey.Pixels), rgb.Pixels);
    }

    [TestMethod]
    [DataRow(Compression.NONE, false)]
    [DataRow(Compression.DEFLATE, false)]
    [DataRow(Compression.ADOBE_DEFLATE, false)]
    [DataRow(Compression.ADOBE_DEFLATE, true)]
    [DataRow(Compression.LZW, false)]
    [DataRow(Compression.LZW, true)]
    [DataRow(Compression.PACKBITS, false)]
    public void CompressedRgbReadsExactly(Compression compression, bool predictor)
    {
        using var folder = new TempFolder();
        string path = folder.File("rgb.tif");
        var (samples, planes) = RgbGradient(5, 7, 255);

        TiffFiles.Write(path, 5, 7, new() { SamplesPerPixel = 3, Photometric = Photometric.RGB, Compression = compression, Predictor = predictor }, samples);
        var read = ImageFile.ReadImage(path, 3);

        Assert.AreEqual((3, 5, 7), (read.Channels, read.Height, read.Width));
        Assert.AreSequenceEqual(planes.Select(v => v / 255f), read.Pixels);
    }

    [TestMethod]
    [DataRow(8, false)]
    [DataRow(8, true)]
    [DataRow(16, false)]
    [DataRow(16, true)]
    public void ThreeSamplesChunkyOrPlanarGiveTheSamePlanes(int bits, bool planar)
    {
        using var folder = new TempFolder();
        string path = folder.File("rgb.tif");
        int max = (1 << bits) - 1;
        var (samples, planes) = RgbGradient(4, 6, max);

        TiffFiles.Write(path, 4, 6, new() { BitsPerSample = bits, SamplesPerPixel = 3, Photometric = Photometric.RGB, Planar = planar, Compression = Compression.ADOBE_DEFLATE }, samples);

        Assert.AreSequenceEqual(planes.Select(v => v / (float)max), ImageFile.ReadImage(path, 3).Pixels);
    }

    [TestMethod]
    public void MinIsWhiteIsInverted()
    {
        using var folder = new TempFolder();
        string path = folder.File("inverted.tif");

        TiffFiles.Write(path, 1, 3, new() { Photometric = Photometric.MINISWHITE }, [0, 55, 255]);

        Assert.AreSequenceEqual(new[] { 1f, 200 / 255f, 0f }, ImageFile.ReadImage(path, 1).Pixels);
    }

    [TestMethod]
    public void UnassociatedAlphaIsCompositedOverBlack()
    {
        using var folder = new TempFolder();
        string path = folder.File("rgba.tif");

        // Two pixels: opaque (200, 100, 50), and the same colour at alpha 51 (a fifth).
        TiffFiles.Write(path, 1, 2, new() { SamplesPerPixel = 4, Photometric = Photometric.RGB, Extra = ExtraSample.UNASSALPHA }, [200, 100, 50, 255, 200, 100, 50, 51]);

        Assert.AreSequenceEqual(new[] { 200 / 255f, 40 / 255f, 100 / 255f, 20 / 255f, 50 / 255f, 10 / 255f }, ImageFile.ReadImage(path, 3).Pixels);
    }

    [TestMethod]
    public void EightBitMaskUsesTheDocumentedThreshold()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask.tif");

        TiffFiles.Write(path, 1, 6, new() { Compression = Compression.ADOBE_DEFLATE }, [0, 100, 127, 128, 200, 255]);

        Assert.AreSequenceEqual(new byte[] { 0, 0, 0, 1, 1, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void SixteenBitMaskIsForegroundAboveHalfTheTypeMaximum()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask16.tif");

        TiffFiles.Write(path, 1, 6, new() { BitsPerSample = 16 }, [0, 255, 32767, 32768, 40000, 65535]);

        Assert.AreSequenceEqual(new byte[] { 0, 0, 0, 1, 1, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(16)]
    public void ZeroOneLabelTiffCountsEveryNonZeroPixel(int bits)
    {
        using var folder = new TempFolder();
        string path = folder.File("labels.tif");

        TiffFiles.Write(path, 2, 3, new() { BitsPerSample = bits }, [0, 1, 1, 0, 0, 1]);

        Assert.AreSequenceEqual(new byte[] { 0, 1, 1, 0, 0, 1 }, ImageFile.ReadMask(path).Pixels);
    }

    [TestMethod]
    public void OneBitMaskReadsItsSetPixels()
    {
        using var folder = new TempFolder();
        string path = folder.File("bilevel.tif");
        byte[] mask = Masks.Parse("1000000011", "0100000001"); // rows of 10 bits: padding to whole bytes is exercised

        TiffFiles.Write(path, 2, 10, new() { BitsPerSample = 1, Compression = Compression.PACKBITS }, [.. mask.Select(m => (ushort)m)]);

        Assert.AreSequenceEqual(mask, ImageFile.ReadMask(path).Pixels);
        Assert.AreSequenceEqual(mask.Select(m => (float)m), ImageFile.ReadImage(path, 1).Pixels);
    }

    [TestMethod]
    public void SixteenBitResizeKeepsPrecisionAndPlacement()
    {
        using var folder = new TempFolder();
        string flat = folder.File("flat.tif"), halves = folder.File("halves.tif");
        // 1000 / 65535 lies between two 8-bit levels (3/255 and 4/255): an 8-bit path would move it by > 1e-4.
        TiffFiles.Write(flat, 20, 30, new() { BitsPerSample = 16 }, [.. Enumerable.Repeat((ushort)1000, 600)]);
        TiffFiles.Write(halves, 4, 4, new() { BitsPerSample = 16 }, [.. Enumerable.Range(0, 16).Select(i => i % 4 < 2 ? (ushort)0 : ushort.MaxValue)]);

        var shrunk = ImageFile.ReadImage(flat, 1, new ImageSize(10, 7));
        var enlarged = ImageFile.ReadImage(halves, 1, new ImageSize(8, 12));

        Assert.HasCount(70, shrunk.Pixels);
        Assert.IsTrue(shrunk.Pixels.All(p => Math.Abs(p - 1000 / 65535f) <= 2 / 65535f));
        Assert.AreEqual((8, 12), (enlarged.Height, enlarged.Width));
        var rows = Enumerable.Range(0, 8).Select(y => enlarged.Pixels.AsSpan(y * 12, 12).ToArray()).ToList();
        Assert.IsTrue(rows.All(row => row[0] < 0.1f && row[^1] > 0.9f), "the dark half stays left, the bright half right");
    }

    [TestMethod]
    public void TiffMaskResizeIsNearestNeighbour()
    {
        using var folder = new TempFolder();
        string path = folder.File("mask.tif");
        TiffFiles.Write(path, 2, 2, new() { Compression = Compression.LZW }, [255, 0, 0, 255]);

        Assert.AreSequenceEqual(Masks.Parse("1100", "1100", "0011", "0011"), ImageFile.ReadMask(path, ImageSize.Square(4)).Pixels);
    }

    [TestMethod]
    public void TiffIsRecognisedByItsHeaderWhateverTheExtension()
    {
        using var folder = new TempFolder();
        string path = folder.File("scan.img");

        TiffFiles.Write(path, 1, 2, new(), [10, 20]);

        Assert.AreSequenceEqual(new[] { 10 / 255f, 20 / 255f }, ImageFile.ReadImage(path, 1).Pixels);
    }

    [TestMethod]
    [DataRow(Compression.NONE)]
    [DataRow(Compression.ADOBE_DEFLATE)]
    [DataRow(Compression.LZW)]
    public void TruncatedTiffIsNamed(Compression compression)
    {
        using var folder = new TempFolder();
        string whole = folder.File("whole.tif"), cut = folder.File("cut.tif");
        // Noise compresses poorly, so the cut falls inside the pixel data, before the directory LibTiff writes last.
        var random = new Random(3);
        TiffFiles.Write(whole, 64, 64, new() { Compression = compression, RowsPerStrip = 64 }, [.. Enumerable.Range(0, 4096).Select(_ => (ushort)random.Next(256))]);
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(cut, 1));

        Assert.Contains(cut, error.Message);
    }

    [TestMethod]
    public void StripRunningPastTheEndIsNamed()
    {
        using var folder = new TempFolder();
        string path = folder.File("short.tif");
        TiffFiles.Write(path, 64, 64, new() { RowsPerStrip = 64 }, new ushort[4096]);
        // The directory stays intact; its one strip is moved to start 100 bytes before the end of the file.
        var bytes = File.ReadAllBytes(path);
        int directory = BitConverter.ToInt32(bytes, 4);
        int entry = Enumerable.Range(0, BitConverter.ToUInt16(bytes, directory))
            .Select(e => directory + 2 + 12 * e)
            .Single(e => BitConverter.ToUInt16(bytes, e) == (ushort)TiffTag.STRIPOFFSETS);
        BitConverter.GetBytes(bytes.Length - 100).CopyTo(bytes, entry + 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.Contains(path, error.Message);
        Assert.Contains("row 0", error.Message);
    }

    [TestMethod]
    public void GarbageTiffIsNamed()
    {
        using var folder = new TempFolder();
        string path = folder.File("noise.tif");
        File.WriteAllText(path, "this is not a TIFF file at all");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadMask(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("TIFF", error.Message);
    }

    [TestMethod]
    public void FloatTiffIsRefusedClearly()
    {
        using var folder = new TempFolder();
        string path = folder.File("float.tif");
        TiffFiles.Write(path, 1, 2, new() { BitsPerSample = 32, SampleFormat = SampleFormat.IEEEFP }, [0, 1]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.Contains(path, error.Message);
        Assert.Contains("IEEEFP", error.Message);
    }

    [TestMethod]
    public void ExtraNonAlphaSamplesAreRefusedClearly()
    {
        using var folder = new TempFolder();
        string path = folder.File("four.tif");
        TiffFiles.Write(path, 1, 1, new() { SamplesPerPixel = 4, Photometric = Photometric.MINISBLACK, Extra = ExtraSample.UNSPECIFIED }, [1, 2, 3, 4]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 3));

        Assert.Contains(path, error.Message);
        Assert.Contains("4 samples per pixel", error.Message);
    }

    /// <summary>An RGB test card: red rises along x, green along y, blue falls with both; chunky samples and the planes expected.</summary>
    private static (ushort[] Samples, int[] Planes) RgbGradient(int height, int width, int max)
    {
        int count = height * width;
        var planes = new int[3 * count];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                planes[i] = x * max / (width - 1);
                planes[count + i] = y * max / (height - 1);
                planes[2 * count + i] = max - (x + y) * max / (width + height - 2);
            }
        }
        var samples = new ushort[3 * count];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < 3; c++)
                samples[3 * i + c] = (ushort)planes[c * count + i];
        return (samples, planes);
    }
}
