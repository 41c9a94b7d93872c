using System.Buffers.Binary;
using BitMiracle.LibTiff.Classic;

namespace QuantUNet.Data.Tests;

/// <summary>
/// The bad-input cases of docs/bad-input.md that the other reader tests do not already cover: each gets its documented
/// handling or one <see cref="InvalidDataException"/> naming the file and the problem.
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    [TestMethod]
    public void NonSquareImagesKeepTheirShapeOrAreResizedWithTheirMasks()
    {
        using var folder = new TempFolder();
        WritePair(folder, "wide", 16, 24, maskHeight: 16, maskWidth: 24);

        var asIs = ImageFolderDataset.Load(folder.Path).Single();
        var resized = ImageFolderDataset.Load(folder.Path, new() { Size = ImageSize.Square(32) }).Single();

        Assert.AreEqual((16, 24), (asIs.Height, asIs.Width));
        Assert.AreEqual((32, 32), (resized.Height, resized.Width));
        Assert.HasCount(32 * 32, resized.Mask);
        Assert.IsTrue(resized.HasForeground, "the mask is resized with its image, not dropped");
    }

    [TestMethod]
    public void ImageAndMaskOfDifferentSizesAreResizedTogetherWhenASizeIsSet()
    {
        using var folder = new TempFolder();
        WritePair(folder, "a", 16, 16, maskHeight: 32, maskWidth: 32);

        var sample = ImageFolderDataset.Load(folder.Path, new() { Size = ImageSize.Square(16) }).Single();

        Assert.AreEqual((16, 16), (sample.Height, sample.Width));
        Assert.HasCount(16 * 16, sample.Mask);
    }

    [TestMethod]
    public void MaskWithLabelValuesIsBinarisedByTheDocumentedRule()
    {
        using var folder = new TempFolder();
        // Grey levels 0, 1, 2, 100, 128 and 255: the largest is above 1, so foreground is above 127.
        byte[] levels = [0, 1, 2, 100, 128, 255];
        string path = folder.File("levels.png");
        ImageFile.WriteImage(path, new PlanarImage(1, 1, levels.Length, [.. levels.Select(l => l / 255f)]));
        // A multi-class label map (0, 1, 2): nothing above 127, so it reads as an empty mask.
        string labels = folder.File("labels.png");
        ImageFile.WriteImage(labels, new PlanarImage(1, 1, 3, [0, 1 / 255f, 2 / 255f]));

        CollectionAssert.AreEqual(new byte[] { 0, 0, 0, 0, 1, 1 }, ImageFile.ReadMask(path).Pixels);
        CollectionAssert.AreEqual(new byte[] { 0, 0, 0 }, ImageFile.ReadMask(labels).Pixels);
    }

    [TestMethod]
    public void ZeroSizedPngIsRefusedNamingTheFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("empty-size.png");
        File.WriteAllBytes(path, PngWithSize(0, 4));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.AreEqual($"{path}: image has no pixels (0x4).", error.Message);
    }

    [TestMethod]
    public void OversizedPngIsRefusedWithItsSizeBeforeDecoding()
    {
        using var folder = new TempFolder();
        string path = folder.File("huge.png");
        File.WriteAllBytes(path, PngWithSize(100_000, 90_000));
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadMask(path));

        Assert.AreEqual($"{path}: image is 100000x90000 (9000000000 pixels), more than the 67108864 (8192x8192) read; refused before decoding.", error.Message);
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before, "no pixel buffer was allocated");
    }

    [TestMethod]
    [DataRow(60_000, 50_000, "image is 60000x50000 (3000000000 pixels), more than the 67108864 (8192x8192) read; refused before decoding.",
        DisplayName = "TiffOfAnUnreadableSizeIsRefusedNamingTheFile (oversized, refused before decoding)")]
    [DataRow(0, 4, "not a readable TIFF file (LibTiff: cannot handle zero scanline size).",
        DisplayName = "TiffOfAnUnreadableSizeIsRefusedNamingTheFile (zero-sized)")]
    public void TiffOfAnUnreadableSizeIsRefusedNamingTheFile(int width, int height, string problem)
    {
        using var folder = new TempFolder();
        string path = folder.File("sized.tif");
        TiffFiles.Write(path, 4, 4, new TiffFiles.Layout(), new ushort[16]);
        var bytes = File.ReadAllBytes(path);
        SetTiffDimension(bytes, TiffTag.IMAGEWIDTH, width);
        SetTiffDimension(bytes, TiffTag.IMAGELENGTH, height);
        File.WriteAllBytes(path, bytes);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFile.ReadImage(path, 1));

        Assert.AreEqual($"{path}: {problem}", error.Message);
    }

    [TestMethod]
    public void ZeroSizedNiftiIsRefusedNamingTheFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("flat.nii");
        NiftiFiles.Write(path, [4, 4, 1], new double[16], new() { RawDims = [3, 4, 0, 1, 1, 1, 1, 1] });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(path));

        StringAssert.StartsWith(error.Message, path + ": ");
        StringAssert.Contains(error.Message, "dim[2] is 0");
    }

    [TestMethod]
    public void SixteenBitPngKeepsItsSixteenBits()
    {
        using var folder = new TempFolder();
        string path = folder.File("deep.png");
        ushort[] samples = [0, 257 * 100, 65535, 257 * 128 - 1, 1];
        File.WriteAllBytes(path, PngFiles.SixteenBitGrey(samples));

        var read = ImageFile.ReadImage(path, 1);

        CollectionAssert.AreEqual(samples.Select(s => s / 65535f).ToArray(), read.Pixels, "each sample over 65535, not rounded to 8 bits");
    }

    [TestMethod]
    [DataRow(false, DisplayName = "OversizedNiftiIsRefusedWithItsSize (.nii)")]
    [DataRow(true, DisplayName = "OversizedNiftiIsRefusedWithItsSize (.nii.gz, before inflating the voxels)")]
    public void OversizedNiftiIsRefusedWithItsSize(bool gzip)
    {
        using var folder = new TempFolder();
        string path = folder.File(gzip ? "huge.nii.gz" : "huge.nii");
        // The header claims 1024^3 voxels; the file holds a few.
        NiftiFiles.Write(path, [1024, 1024, 1024], new double[8], new() { Gzip = gzip });
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(path));

        StringAssert.StartsWith(error.Message, path + ": ");
        StringAssert.Contains(error.Message, "the volume is 1024x1024x1024 (1073741824 voxels), more than the 134217728 (512x512x512) read");
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void GzipBombBehindASmallNiftiHeaderIsNotInflated()
    {
        using var folder = new TempFolder();
        string path = folder.File("padded.nii.gz");
        // A valid 2x2x2 volume followed by 64 MB of zeros, which gzip shrinks to about 64 KB.
        var volume = folder.File("volume.nii");
        NiftiFiles.Write(volume, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8], new());
        using (var output = File.Create(path))
        using (var compressed = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            compressed.Write(File.ReadAllBytes(volume));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++)
                compressed.Write(zeros);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();

        var read = NiftiVolume.Read(path);

        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, read.Voxels.ToArray());
        Assert.IsLessThan(8L << 20, GC.GetAllocatedBytesForCurrentThread() - before, "only the declared header and voxels were inflated");
    }

    [TestMethod]
    public void EveryMaskEmptyIsAWarningNotAnError()
    {
        var empty = Enumerable.Range(0, 3).Select(i => Sample($"s{i}", foreground: false)).ToList();
        var oneForeground = empty.Append(Sample("s3", foreground: true)).ToList();

        var warnings = DatasetWarnings.Check(empty, "data/train");

        Assert.AreEqual("data/train: every one of the 3 masks is empty (no foreground pixel); training runs, but the model can only learn to predict background.",
            warnings.Single());
        Assert.IsEmpty(DatasetWarnings.Check(oneForeground, "data/train"));
        Assert.IsEmpty(DatasetWarnings.Check([], "data/train"), "no samples is the loaders' error, not a warning");
    }

    private static SegmentationSample Sample(string name, bool foreground)
    {
        var mask = new byte[16];
        mask[5] = foreground ? (byte)1 : (byte)0;
        return new SegmentationSample(name, name, 1, 4, 4, new float[16], mask);
    }

    /// <summary>images/NAME.png of the given size and masks/NAME.png with a foreground square in the middle.</summary>
    private static void WritePair(TempFolder folder, string name, int height, int width, int maskHeight, int maskWidth)
    {
        ImageFile.WriteImage(folder.File($"images/{name}.png"), new PlanarImage(1, height, width, [.. Enumerable.Range(0, height * width).Select(i => i % 7 / 7f)]));
        var mask = new byte[maskHeight * maskWidth];
        for (int y = maskHeight / 4; y < 3 * maskHeight / 4; y++)
            for (int x = maskWidth / 4; x < 3 * maskWidth / 4; x++)
                mask[y * maskWidth + x] = 1;
        ImageFile.WriteMask(folder.File($"masks/{name}.png"), new BinaryMask(maskHeight, maskWidth, mask));
    }

    /// <summary>A 1x1 grey PNG whose header (IHDR, CRC recomputed) claims another size: only a header reader sees it.</summary>
    private static byte[] PngWithSize(int width, int height)
    {
        using var folder = new TempFolder();
        string path = folder.File("small.png");
        ImageFile.WriteImage(path, new PlanarImage(1, 1, 1, [0.5f]));
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), PngFiles.Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    private static void SetTiffDimension(byte[] bytes, TiffTag tag, int value)
    {
        int directory = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(directory));
        for (int i = 0; i < entries; i++)
        {
            var entry = bytes.AsSpan(directory + 2 + 12 * i, 12);
            if (BinaryPrimitives.ReadUInt16LittleEndian(entry) != (ushort)tag)
                continue;
            if (BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]) == 3)
                BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], checked((ushort)value));
            else
                BinaryPrimitives.WriteInt32LittleEndian(entry[8..], value);
            return;
        }
        Assert.Fail($"no {tag} entry");
    }
}
