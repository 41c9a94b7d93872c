namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class ImageFolderDatasetTests
{
    [TestMethod]
    public void LayoutAWithSameNamesRoundTrips()
    {
        using var folder = new TempFolder();
        SegmentationSample[] samples = [Sample("b", 1), Sample("a", 2), Sample("c", 3)];

        ImageFolderDataset.Write(samples, folder.Path);
        var loaded = ImageFolderDataset.Load(folder.Path);

        Assert.AreSequenceEqual(new[] { "a", "b", "c" }, loaded.Select(s => s.Name)); // ordinal order
        Assert.AreSequenceEqual(new[] { "a", "b", "c" }, loaded.Select(s => s.GroupId)); // each image its own group
        foreach (var s in loaded)
        {
            var original = samples.Single(o => o.Name == s.Name);
            Assert.AreSequenceEqual(original.Image, s.Image);
            Assert.AreSequenceEqual(original.Mask, s.Mask);
        }
    }

    [TestMethod]
    public void LayoutAAcceptsMaskSuffix()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("images/x.png"), folder.File("masks/x_mask.png"), 1);

        var loaded = ImageFolderDataset.Load(folder.Path);

        Assert.AreEqual("x", loaded.Single().Name);
        Assert.AreSequenceEqual(MaskOf(1), loaded[0].Mask);
    }

    [TestMethod]
    public void LayoutBPairsFilesSideBySide()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("x.png"), folder.File("x_mask.png"), 1);
        WriteJpegImage(folder.File("y.jpg"));
        ImageFile.WriteMask(folder.File("y_mask.png"), new BinaryMask(4, 6, MaskOf(2)));

        var loaded = ImageFolderDataset.Load(folder.Path);

        Assert.AreSequenceEqual(new[] { "x", "y" }, loaded.Select(s => s.Name));
        Assert.AreSequenceEqual(new[] { "x", "y" }, loaded.Select(s => s.GroupId));
        Assert.AreSequenceEqual(MaskOf(2), loaded[1].Mask);
    }

    [TestMethod]
    public void PatientSubfoldersBecomeGroups()
    {
        using var folder = new TempFolder();
        // Kaggle LGG naming, as PNG.
        foreach (var patient in new[] { "TCGA_CS_4941_19960909", "TCGA_DU_5855_19951217" })
            foreach (int n in new[] { 1, 2, 10 })
                WritePair(folder.File($"{patient}/{patient}_{n}.png"), folder.File($"{patient}/{patient}_{n}_mask.png"), n);

        var loaded = ImageFolderDataset.Load(folder.Path, new ImageFolderDataset.Options { Channels = 3 });

        Assert.HasCount(6, loaded);
        Assert.AreEqual("TCGA_CS_4941_19960909/TCGA_CS_4941_19960909_1", loaded[0].Name);
        Assert.AreEqual("TCGA_CS_4941_19960909/TCGA_CS_4941_19960909_10", loaded[1].Name); // ordinal, not numeric
        Assert.AreSequenceEqual(
            new[] { "TCGA_CS_4941_19960909", "TCGA_DU_5855_19951217" },
            loaded.Select(s => s.GroupId).Distinct());
        Assert.IsTrue(loaded.All(s => s.Channels == 3 && s.Image.Length == 3 * 4 * 6));
    }

    [TestMethod]
    public void GroupFunctionOverridesFolders()
    {
        using var folder = new TempFolder();
        var written = new SyntheticMriGenerator(new() { Size = ImageSize.Square(32), SlicesPerPatient = 3, Seed = 5 })
            .WriteDataset(7, folder.Path);

        var loaded = ImageFolderDataset.Load(folder.Path, new() { GroupOf = SyntheticMriGenerator.GroupOf });

        Assert.AreSequenceEqual(written.Select(s => s.Name), loaded.Select(s => s.Name));
        Assert.AreSequenceEqual(written.Select(s => s.GroupId), loaded.Select(s => s.GroupId));
        for (int i = 0; i < written.Count; i++)
        {
            Assert.AreSequenceEqual(written[i].Mask, loaded[i].Mask);
            Assert.IsTrue(written[i].Image.Zip(loaded[i].Image).All(p => Math.Abs(p.First - p.Second) <= 0.5f / 255 + 1e-6f));
        }
    }

    [TestMethod]
    public void ResizesImagesAndMasksToTheTargetSize()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("images/a.png"), folder.File("masks/a.png"), 1);

        var loaded = ImageFolderDataset.Load(folder.Path, new() { Size = new ImageSize(8, 12) }).Single();

        Assert.AreEqual((8, 12), (loaded.Height, loaded.Width));
        Assert.HasCount(96, loaded.Mask);
        Assert.AreEqual(2 * 2 * 1, loaded.Mask.Count(m => m == 1)); // one mask pixel becomes a 2x2 block
    }

    [TestMethod]
    public void MissingMaskIsAnErrorNamingTheImage()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("a.png"), folder.File("a_mask.png"), 1);
        string orphan = folder.File("b.png");
        ImageFile.WriteImage(orphan, new PlanarImage(1, 4, 6, new float[24]));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.Load(folder.Path));

        Assert.Contains(orphan, error.Message);
        Assert.Contains("b_mask", error.Message);
    }

    [TestMethod]
    public void MissingMasksCanBeSkippedOrTakenAsEmpty()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("images/a.png"), folder.File("masks/a.png"), 1);
        ImageFile.WriteImage(folder.File("images/b.png"), new PlanarImage(1, 4, 6, new float[24]));

        var skipped = ImageFolderDataset.Load(folder.Path, new() { MissingMask = ImageFolderDataset.MissingMaskPolicy.Skip });
        var empty = ImageFolderDataset.Load(folder.Path, new() { MissingMask = ImageFolderDataset.MissingMaskPolicy.TreatAsEmpty });

        Assert.AreEqual("a", skipped.Single().Name);
        Assert.HasCount(2, empty);
        Assert.IsFalse(empty[1].HasForeground);
        Assert.IsNull(ImageFolderDataset.Discover(folder.Path, new() { MissingMask = ImageFolderDataset.MissingMaskPolicy.TreatAsEmpty })[1].MaskPath);
    }

    [TestMethod]
    public void EmptyFolderIsAnErrorNamingIt()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("readme.txt"), "no images here");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.Load(folder.Path));

        Assert.Contains(folder.Path, error.Message);
    }

    [TestMethod]
    public void MissingFolderIsAnError()
    {
        using var folder = new TempFolder();
        string absent = Path.Combine(folder.Path, "absent");

        var error = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageFolderDataset.Load(absent));

        Assert.Contains(absent, error.Message);
    }

    [TestMethod]
    public void NonImageIsAnErrorNamingTheFile()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("images/a.png"), folder.File("masks/a.png"), 1);
        string bad = folder.File("images/b.png");
        File.WriteAllText(bad, "not a png");
        ImageFile.WriteMask(folder.File("masks/b.png"), new BinaryMask(4, 6, MaskOf(1)));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.Load(folder.Path));

        Assert.Contains(bad, error.Message);
    }

    [TestMethod]
    public void MaskOfAnotherSizeIsAnErrorWithoutResize()
    {
        using var folder = new TempFolder();
        ImageFile.WriteImage(folder.File("images/a.png"), new PlanarImage(1, 4, 6, new float[24]));
        ImageFile.WriteMask(folder.File("masks/a.png"), new BinaryMask(4, 5, new byte[20]));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.Load(folder.Path));

        Assert.Contains(Path.Combine(folder.Path, "masks", "a.png"), error.Message);
        Assert.Contains(Path.Combine(folder.Path, "images", "a.png"), error.Message);
    }

    [TestMethod]
    public void AmbiguousMasksAreAnError()
    {
        using var folder = new TempFolder();
        WritePair(folder.File("images/a.png"), folder.File("masks/a.png"), 1);
        ImageFile.WriteMask(folder.File("masks/a_mask.png"), new BinaryMask(4, 6, MaskOf(2)));

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderDataset.Load(folder.Path));

        Assert.Contains("a_mask.png", error.Message);
    }

    [TestMethod]
    public void WriteRefusesNamesOutsideTheFolder()
    {
        using var folder = new TempFolder();

        Assert.ThrowsExactly<ArgumentException>(() => ImageFolderDataset.Write([Sample("../escape", 1)], folder.Path));
        Assert.ThrowsExactly<ArgumentException>(() => ImageFolderDataset.Write([Sample("twin", 1), Sample("twin", 2)], folder.Path));
    }

    /// <summary>A 4x6 grey sample whose mask has a single foreground pixel at index <paramref name="lesion"/>.</summary>
    private static SegmentationSample Sample(string name, int lesion) =>
        new(name, name, 1, 4, 6, [.. Enumerable.Range(0, 24).Select(i => (i * 10 + lesion) / 255f)], MaskOf(lesion));

    private static byte[] MaskOf(int lesion)
    {
        var mask = new byte[24];
        mask[lesion] = 1;
        return mask;
    }

    private static void WritePair(string imagePath, string maskPath, int lesion)
    {
        var sample = Sample("pair", lesion);
        ImageFile.WriteImage(imagePath, new PlanarImage(1, 4, 6, sample.Image));
        ImageFile.WriteMask(maskPath, new BinaryMask(4, 6, sample.Mask));
    }

    private static void WriteJpegImage(string path)
    {
        using var image = SkiaSharp.SKImage.FromPixelCopy(
            new SkiaSharp.SKImageInfo(6, 4, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque), new byte[24]);
        using var jpeg = image.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
        File.WriteAllBytes(path, jpeg.ToArray());
    }
}
