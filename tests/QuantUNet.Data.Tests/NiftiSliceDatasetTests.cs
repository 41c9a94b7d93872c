namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class NiftiSliceDatasetTests
{
    private const string Ch2Bet = "/usr/share/mricron/templates/ch2bet.nii.gz";
    private const string Ch2 = "/usr/share/mricron/templates/ch2.nii.gz";

    /// <summary>A 4x3x2 volume whose voxel (i, j, k) holds 100 k + 10 j + i, so each pixel tells where it came from.</summary>
    private static double[] Coordinates() =>
        [.. Enumerable.Range(0, 24).Select(n => (double)(100 * (n / 12) + 10 * (n / 4 % 3) + n % 4))];

    [TestMethod]
    [DataRow(0, "x", 1, 2)] // rows follow k, columns j: 2x3 slices
    [DataRow(1, "y", 0, 2)] // rows follow k, columns i: 2x4 slices
    [DataRow(2, "z", 0, 1)] // rows follow j, columns i: 3x4 slices
    public void SlicesAlongEachAxisWithTheDocumentedLayout(int axis, string axisName, int columnAxis, int rowAxis)
    {
        using var folder = new TempFolder();
        string path = folder.File("coords.nii");
        int[] dims = [4, 3, 2];
        NiftiFiles.Write(path, dims, Coordinates(), new());

        var samples = NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { Axis = axis });

        Assert.HasCount(dims[axis], samples);
        Assert.IsTrue(samples.All(s => (s.Channels, s.Height, s.Width) == (1, dims[rowAxis], dims[columnAxis])));
        var slice = samples[1];
        Assert.AreEqual($"coords-{axisName}001", slice.Name);
        for (int row = 0; row < slice.Height; row++)
        {
            for (int column = 0; column < slice.Width; column++)
            {
                var voxel = new int[3];
                (voxel[axis], voxel[rowAxis], voxel[columnAxis]) = (1, row, column);
                float expected = (100 * voxel[2] + 10 * voxel[1] + voxel[0]) / 123f; // min/max scaling: 0 .. 123
                Assert.AreEqual(expected, slice.Image[row * slice.Width + column], 1e-6f, $"row {row}, column {column}");
            }
        }
    }

    [TestMethod]
    public void LabelRulesPickTheirValues()
    {
        using var folder = new TempFolder();
        string image = folder.File("t1.nii.gz"), labels = folder.File("atlas.nii.gz");
        NiftiFiles.Write(image, [3, 2, 1], [1, 2, 3, 4, 5, 6], new() { Gzip = true });
        NiftiFiles.Write(labels, [3, 2, 1], [0, 37, 38, 5, 37, 1], new() { Gzip = true, DataType = NiftiDataType.Int16 });

        byte[] MaskOf(LabelRule rule) => NiftiSliceDataset.Load(image, labels, rule).Single().Mask;

        Assert.AreSequenceEqual(new byte[] { 0, 1, 1, 0, 1, 0 }, MaskOf(LabelRule.AnyOf(37, 38)));
        Assert.AreSequenceEqual(new byte[] { 0, 0, 0, 1, 0, 0 }, MaskOf(LabelRule.Value(5)));
        Assert.AreSequenceEqual(new byte[] { 0, 1, 1, 1, 1, 1 }, MaskOf(LabelRule.Positive));
        Assert.AreEqual("in {37, 38}", LabelRule.AnyOf(38, 37, 38).ToString());
        Assert.ThrowsExactly<ArgumentException>(() => LabelRule.AnyOf());
    }

    [TestMethod]
    public void IntensityIsScaledPerVolumeByMinMaxOrPercentiles()
    {
        using var folder = new TempFolder();
        string path = folder.File("ramp.nii");
        // 0, 10, ..., 1000 with one hot voxel at 5000: min/max squeezes the ramp, percentiles clamp the outlier.
        double[] stored = [.. Enumerable.Range(0, 101).Select(i => i * 10.0), 5000, 0, 0, 0];
        NiftiFiles.Write(path, [105, 1, 1], stored, new() { DataType = NiftiDataType.Int16 });

        var minMax = NiftiSliceDataset.Load(path, path, LabelRule.Positive).Single().Image;
        var robust = NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { LowerPercentile = 5, UpperPercentile = 95 }).Single().Image;

        Assert.AreEqual(1000 / 5000f, minMax[100], 1e-6f);
        Assert.AreEqual(1f, minMax[101]);
        // Sorted voxels: 4 zeros, 10, 20, ..., 1000, 5000. Rank 0.05 x 104 = 5.2 lies between 20 and 30; rank 98.8 between 950 and 960.
        float low = 22f, high = 958f;
        Assert.AreEqual((500 - low) / (high - low), robust[50], 1e-5f);
        Assert.AreEqual(0f, robust[0]);
        Assert.AreEqual(1f, robust[101]);
    }

    [TestMethod]
    public void SlabsGroupNeighbouringSlicesAndEmptySlicesCanBeSkipped()
    {
        using var folder = new TempFolder();
        string path = folder.File("stack.nii");
        // 2x2x7: slice k holds the value k everywhere, so slice 0 is empty.
        NiftiFiles.Write(path, [2, 2, 7], [.. Enumerable.Range(0, 28).Select(n => (double)(n / 4))], new());

        var samples = NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { SlabThickness = 3, SkipEmptySlices = true });

        Assert.AreSequenceEqual(new[] { "stack-z001", "stack-z002", "stack-z003", "stack-z004", "stack-z005", "stack-z006" }, samples.Select(s => s.Name));
        Assert.AreSequenceEqual(
            new[] { "stack-z000-002", "stack-z000-002", "stack-z003-005", "stack-z003-005", "stack-z003-005", "stack-z006-006" },
            samples.Select(s => s.GroupId));
        Assert.IsTrue(samples.All(s => s.HasForeground));
    }

    [TestMethod]
    public void SplitBySlabNeverSeparatesASlab()
    {
        using var folder = new TempFolder();
        string path = folder.File("stack.nii");
        NiftiFiles.Write(path, [2, 2, 40], [.. Enumerable.Range(0, 160).Select(n => (double)(n % 7))], new());
        var samples = NiftiSliceDataset.Load(path, path, LabelRule.Positive);

        var (train, validation) = DatasetSplit.ByGroup(samples, 0.2, seed: 2);

        Assert.HasCount(5, samples.Select(s => s.GroupId).Distinct()); // 40 slices in slabs of 8
        Assert.HasCount(8, validation);
        var validationSlices = validation.Select(s => int.Parse(s.Name[^3..])).Order().ToArray();
        Assert.AreEqual(7, validationSlices[^1] - validationSlices[0]); // one whole slab of consecutive slices
        Assert.IsFalse(train.Select(s => s.GroupId).Intersect(validation.Select(s => s.GroupId)).Any());
    }

    [TestMethod]
    public void ResizesSlicesAndMasks()
    {
        using var folder = new TempFolder();
        string path = folder.File("square.nii");
        // One 4x4 slice: a bright 2x2 block at the top left, the rest dark.
        double[] stored = [200, 200, 0, 0, 200, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        NiftiFiles.Write(path, [4, 4, 1], stored, new());

        var sample = NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { Size = new ImageSize(8, 12) }).Single();

        Assert.AreEqual((8, 12), (sample.Height, sample.Width));
        Assert.AreEqual(4 * 6, sample.Mask.Count(m => m == 1)); // nearest neighbour: a quarter of the pixels
        Assert.IsGreaterThan(0.9f, sample.Image[0]);
        Assert.IsLessThan(0.1f, sample.Image[^1]);
        Assert.IsTrue(sample.Image.All(p => p is >= 0 and <= 1));
    }

    [TestMethod]
    public void MismatchedGridsNameBothFiles()
    {
        using var folder = new TempFolder();
        string image = folder.File("t1.nii"), labels = folder.File("labels.nii"), coarse = folder.File("coarse.nii");
        NiftiFiles.Write(image, [2, 2, 2], new double[8], new());
        NiftiFiles.Write(labels, [2, 2, 3], new double[12], new());
        NiftiFiles.Write(coarse, [2, 2, 2], new double[8], new() { VoxelSizes = [2, 2, 2] });

        foreach (string other in new[] { labels, coarse })
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiSliceDataset.Load(image, other, LabelRule.Positive));
            Assert.Contains(image, error.Message);
            Assert.Contains(other, error.Message);
        }
    }

    [TestMethod]
    public void NonFiniteVoxelsAreRefused()
    {
        using var folder = new TempFolder();
        string path = folder.File("nan.nii");
        NiftiFiles.Write(path, [2, 1, 1], [1, double.NaN], new() { DataType = NiftiDataType.Float32 });

        var error = Assert.ThrowsExactly<InvalidDataException>(() => NiftiSliceDataset.Load(path, path, LabelRule.Positive));

        Assert.Contains(path, error.Message);
    }

    [TestMethod]
    public void BadOptionsAreRefused()
    {
        using var folder = new TempFolder();
        string path = folder.File("v.nii");
        NiftiFiles.Write(path, [2, 2, 2], new double[8], new());

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { Axis = 3 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { SlabThickness = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NiftiSliceDataset.Load(path, path, LabelRule.Positive, new() { LowerPercentile = 60, UpperPercentile = 40 }));
    }

    [TestMethod]
    public void BuildsSlicesFromTheColinBrain()
    {
        if (!File.Exists(Ch2Bet) || !File.Exists(Ch2))
            Assert.Inconclusive($"{Ch2Bet} is not installed (apt-get install mricron-data).");

        var samples = NiftiSliceDataset.Load(Ch2, Ch2Bet, LabelRule.Positive, new() { Size = ImageSize.Square(64), SkipEmptySlices = true });
        var own = NiftiSliceDataset.Load(Ch2Bet, Ch2Bet, LabelRule.Positive, new() { Axis = 0, SkipEmptySlices = true });

        Assert.IsTrue(samples.All(s => (s.Channels, s.Height, s.Width) == (1, 64, 64)));
        Assert.AreEqual("ch2-z080-087", samples.Single(s => s.Name == "ch2-z081").GroupId);
        double brain = samples.Average(s => s.Mask.Average(m => (double)m));
        Assert.IsTrue(brain is > 0.1 and < 0.5, $"mean brain fraction {brain}");
        Assert.IsTrue(own.All(s => (s.Height, s.Width) == (181, 217)));
        Assert.IsTrue(own.Count(s => s.HasForeground) > 100);
    }
}
