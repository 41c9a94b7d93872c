using BitMiracle.LibTiff.Classic;

namespace QuantUNet.Data.Tests;

/// <summary>The Kaggle LGG layout: <c>patient/patient_N.tif</c> (3-channel) beside <c>patient/patient_N_mask.tif</c>.</summary>
[TestClass]
public sealed class LggLayoutTests
{
    // The development subset lives in shared/ beside the repository (never inside it: its licence forbids).
    private static readonly string RealLgg = Path.Combine(RepositoryRoot(), "..", "shared", "data", "lgg-dev", "kaggle_3m");
    private const int Side = 6;

    [TestMethod]
    public void TiffFolderLoadsWithOneGroupPerPatient()
    {
        using var folder = new TempFolder();
        // The original download is uncompressed, the development copy Deflate-compressed: both in one folder.
        string[] patients = WritePatients(folder, 2, [1, 2, 10]);

        var loaded = ImageFolderDataset.Load(folder.Path, new() { Channels = 3 });

        Assert.HasCount(6, loaded);
        Assert.AreEqual($"{patients[0]}/{patients[0]}_1", loaded[0].Name);
        Assert.AreEqual($"{patients[0]}/{patients[0]}_10", loaded[1].Name); // ordinal, not numeric
        Assert.AreSequenceEqual(patients, loaded.Select(s => s.GroupId).Distinct());
        foreach (var sample in loaded)
        {
            int slice = int.Parse(sample.Name[(sample.Name.LastIndexOf('_') + 1)..]);
            Assert.AreEqual((3, Side, Side), (sample.Channels, sample.Height, sample.Width));
            Assert.AreSequenceEqual(Planes(slice).Select(v => v / 255f), sample.Image);
            Assert.AreSequenceEqual(Lesion(slice), sample.Mask);
        }
    }

    [TestMethod]
    public void SplitKeepsEveryPatientOnOneSide()
    {
        using var folder = new TempFolder();
        WritePatients(folder, 5, [1, 2, 3, 4]);
        var loaded = ImageFolderDataset.Load(folder.Path, new() { Channels = 3, Size = ImageSize.Square(4) });

        var (train, validation) = DatasetSplit.ByGroup(loaded, 0.4, seed: 7);

        var validationPatients = validation.Select(s => s.GroupId).ToHashSet();
        Assert.HasCount(2, validationPatients);
        Assert.HasCount(8, validation); // every slice of both patients
        Assert.IsFalse(train.Any(s => validationPatients.Contains(s.GroupId)));
        Assert.IsTrue(validation.All(s => s.Name.StartsWith(s.GroupId + "/", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void LoadsTwoRealPatientsAt64()
    {
        if (!Directory.Exists(RealLgg))
            Assert.Inconclusive($"{RealLgg} is not on this machine.");
        using var folder = new TempFolder();
        // Links, not copies, as the data's licence asks; deleting the temp folder removes the links, not their targets.
        var patients = Directory.GetDirectories(RealLgg).Order(StringComparer.Ordinal).Take(2).ToArray();
        foreach (string patient in patients)
            Directory.CreateSymbolicLink(Path.Combine(folder.Path, Path.GetFileName(patient)), patient);

        var loaded = ImageFolderDataset.Load(folder.Path, new() { Channels = 3, Size = ImageSize.Square(64) });

        Assert.AreSequenceEqual(patients.Select(Path.GetFileName), loaded.Select(s => s.GroupId).Distinct());
        Assert.AreEqual(patients.Sum(p => Directory.GetFiles(p, "*_mask.tif").Length), loaded.Count);
        Assert.IsTrue(loaded.All(s => (s.Channels, s.Height, s.Width) == (3, 64, 64)));
        Assert.IsTrue(loaded.Any(s => s.HasForeground));
        Assert.IsTrue(loaded.Any(s => s.Image.Max() > 0.5f));
        // The three planes (pre-contrast, FLAIR, post-contrast) differ, so they are not one grey plane repeated.
        var sample = loaded.First(s => s.HasForeground);
        int plane = 64 * 64;
        Assert.IsFalse(sample.Image.AsSpan(0, plane).SequenceEqual(sample.Image.AsSpan(plane, plane)));
    }

    /// <summary>Writes patients' slices as RGB TIFF images and grey TIFF masks, the first patient uncompressed.</summary>
    private static string[] WritePatients(TempFolder folder, int count, int[] slices)
    {
        var patients = Enumerable.Range(0, count).Select(p => $"TCGA_CS_{4941 + p}_19960909").ToArray();
        for (int p = 0; p < count; p++)
        {
            var compression = p == 0 ? Compression.NONE : Compression.ADOBE_DEFLATE;
            foreach (int slice in slices)
            {
                string stem = $"{patients[p]}/{patients[p]}_{slice}";
                var planes = Planes(slice);
                ushort[] chunky = [.. Enumerable.Range(0, 3 * Side * Side).Select(n => (ushort)planes[n % 3 * Side * Side + n / 3])];
                TiffFiles.Write(folder.File(stem + ".tif"), Side, Side, new() { SamplesPerPixel = 3, Photometric = Photometric.RGB, Compression = compression }, chunky);
                TiffFiles.Write(folder.File(stem + "_mask.tif"), Side, Side, new() { Compression = compression }, [.. Lesion(slice).Select(m => (ushort)(m * 255))]);
            }
        }
        return patients;
    }

    /// <summary>Three planes that differ from each other and from slice to slice.</summary>
    private static int[] Planes(int slice) =>
        [.. Enumerable.Range(0, 3 * Side * Side).Select(n => (n * 7 + slice * 31 + n / (Side * Side) * 50) % 256)];

    /// <summary>A one-pixel lesion whose place depends on the slice.</summary>
    private static byte[] Lesion(int slice) => Masks.Points(Side, Side, (slice % Side, (slice * 2) % Side));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuantUNet.MLNet.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No QuantUNet.MLNet.sln above {AppContext.BaseDirectory}.");
    }
}
