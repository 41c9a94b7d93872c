namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class NiftiVolumeTests
{
    [TestMethod]
    public void ReadsGzippedUInt8()
    {
        using var folder = new TempFolder();
        string path = folder.File("brain.nii.gz");
        double[] stored = [.. Enumerable.Range(0, 24).Select(i => (double)(i * 10))];
        NiftiFiles.Write(path, [4, 3, 2], stored, new() { Gzip = true, VoxelSizes = [1.5f, -2f, 3f] });

        var volume = NiftiVolume.Read(path);

        Assert.AreEqual("brain", volume.Name);
        Assert.AreSequenceEqual(new[] { 4, 3, 2 }, volume.Dimensions);
        Assert.AreSequenceEqual(new[] { 1.5f, 2f, 3f }, volume.VoxelSizes);
        Assert.AreEqual(NiftiDataType.UInt8, volume.DataType);
        Assert.AreSequenceEqual(stored.Select(v => (float)v), volume.Voxels);
        Assert.AreEqual(230f, volume[3, 2, 1]); // i fastest: 3 + 4 x (2 + 3 x 1) = 23
    }

    [TestMethod]
    public void Int16WithSlopeAndInterceptIsScaled()
    {
        using var folder = new TempFolder();
        string path = folder.File("ct.nii");
        NiftiFiles.Write(path, [3, 1, 1], [-100, 0, 2000], new() { DataType = NiftiDataType.Int16, Slope = 0.5f, Intercept = -1024f });

        var volume = NiftiVolume.Read(path);

        Assert.AreSequenceEqual(new[] { -1074f, -1024f, -24f }, volume.Voxels);
    }

    [TestMethod]
    public void ZeroSlopeMeansNoScaling()
    {
        using var folder = new TempFolder();
        string path = folder.File("raw.nii");
        NiftiFiles.Write(path, [3, 1, 1], [-100, 0, 2000], new() { DataType = NiftiDataType.Int16, Slope = 0f, Intercept = 7f });

        Assert.AreSequenceEqual(new[] { -100f, 0f, 2000f }, NiftiVolume.Read(path).Voxels);
    }

    [TestMethod]
    [DataRow(NiftiDataType.UInt8, false)]
    [DataRow(NiftiDataType.Int16, false)]
    [DataRow(NiftiDataType.Int16, true)]
    [DataRow(NiftiDataType.UInt16, false)]
    [DataRow(NiftiDataType.UInt16, true)]
    [DataRow(NiftiDataType.Int32, false)]
    [DataRow(NiftiDataType.Int32, true)]
    [DataRow(NiftiDataType.Float32, false)]
    [DataRow(NiftiDataType.Float32, true)]
    [DataRow(NiftiDataType.Float64, false)]
    [DataRow(NiftiDataType.Float64, true)]
    public void ReadsEachTypeInEitherByteOrder(NiftiDataType type, bool bigEndian)
    {
        using var folder = new TempFolder();
        string path = folder.File("typed.nii");
        // Values every type holds exactly; negative ones only where the type is signed.
        double[] stored = type is NiftiDataType.UInt8 or NiftiDataType.UInt16 ? [0, 1, 200, 255] : [-3, 0, 1, 255];
        if (type == NiftiDataType.UInt16)
            stored[3] = 60000;
        NiftiFiles.Write(path, [2, 2, 1], stored, new() { DataType = type, BigEndian = bigEndian, Slope = 2f, Intercept = 1f });

        var volume = NiftiVolume.Read(path);

        Assert.AreEqual(type, volume.DataType);
        Assert.AreSequenceEqual(stored.Select(v => (float)(v * 2 + 1)), volume.Voxels);
    }

    [TestMethod]
    public void TwoDimensionalFileIsOneSliceDeep()
    {
        using var folder = new TempFolder();
        string path = folder.File("slice.nii");
        NiftiFiles.Write(path, [2, 3, 1], new double[6], new() { RawDims = [2, 2, 3, 0, 0, 0, 0, 0] });

        Assert.AreSequenceEqual(new[] { 2, 3, 1 }, NiftiVolume.Read(path).Dimensions);
    }

    [TestMethod]
    public void TruncatedVoxelDataIsNamed()
    {
        using var folder = new TempFolder();
        string whole = folder.File("whole.nii"), cut = folder.File("cut.nii");
        NiftiFiles.Write(whole, [8, 8, 8], new double[512], new() { DataType = NiftiDataType.Int16 });
        File.WriteAllBytes(cut, File.ReadAllBytes(whole)[..1000]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(cut));

        Assert.Contains(cut, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [TestMethod]
    public void TruncatedGzipIsNamed()
    {
        using var folder = new TempFolder();
        string whole = folder.File("whole.nii.gz"), cut = folder.File("cut.nii.gz");
        var random = new Random(1);
        NiftiFiles.Write(whole, [16, 16, 16], [.. Enumerable.Range(0, 4096).Select(_ => (double)random.Next(256))], new() { Gzip = true });
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length * 3 / 4)]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(cut));

        Assert.Contains(cut, error.Message);
    }

    [TestMethod]
    public void GarbageIsNamed()
    {
        using var folder = new TempFolder();
        string text = folder.File("notes.nii"), gzip = folder.File("broken.nii.gz"), tiny = folder.File("tiny.nii");
        File.WriteAllText(text, new string('x', 400));
        File.WriteAllBytes(gzip, [0x1F, 0x8B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        File.WriteAllBytes(tiny, [1, 2, 3]);

        foreach (string path in new[] { text, gzip, tiny })
            Assert.Contains(path, Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(path)).Message);
    }

    [TestMethod]
    public void UnsupportedHeadersAreRefusedClearly()
    {
        using var folder = new TempFolder();
        string rgb = folder.File("rgb.nii"), series = folder.File("series.nii"), pair = folder.File("pair.nii");
        NiftiFiles.Write(rgb, [2, 2, 2], new double[8], new() { RawDataType = 128 });
        NiftiFiles.Write(series, [2, 2, 2], new double[8], new() { RawDims = [4, 2, 2, 1, 2, 1, 1, 1] });
        NiftiFiles.Write(pair, [2, 2, 2], new double[8], new() { Magic = "ni1\0" });

        Assert.Contains("datatype 128", Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(rgb)).Message);
        Assert.Contains("4-D", Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(series)).Message);
        Assert.Contains(".hdr/.img", Assert.ThrowsExactly<InvalidDataException>(() => NiftiVolume.Read(pair)).Message);
    }

    [TestMethod]
    public void MissingFileIsNamed()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "absent.nii.gz");

        Assert.AreEqual(path, Assert.ThrowsExactly<FileNotFoundException>(() => NiftiVolume.Read(path)).FileName);
    }
}
