namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class SyntheticMriGeneratorTests
{
    [TestMethod]
    public void SameSeedGivesSameSlices()
    {
        var first = new SyntheticMriGenerator(new() { Seed = 11, Channels = 3 }).Generate(12);
        var second = new SyntheticMriGenerator(new() { Seed = 11, Channels = 3 }).Generate(12);

        for (int i = 0; i < first.Count; i++)
        {
            Assert.AreSequenceEqual(first[i].Image, second[i].Image);
            Assert.AreSequenceEqual(first[i].Mask, second[i].Mask);
            Assert.AreEqual(first[i].Name, second[i].Name);
        }
    }

    [TestMethod]
    public void ShorterRunIsAPrefixOfLongerOne()
    {
        var generator = new SyntheticMriGenerator(new() { Seed = 3 });

        var shorter = generator.Generate(5);
        var longer = generator.Generate(12);

        for (int i = 0; i < shorter.Count; i++)
            Assert.AreSequenceEqual(shorter[i].Image, longer[i].Image);
    }

    [TestMethod]
    public void DifferentSeedsGiveDifferentSlices()
    {
        var a = new SyntheticMriGenerator(new() { Seed = 1 }).Generate(4);
        var b = new SyntheticMriGenerator(new() { Seed = 2 }).Generate(4);

        for (int i = 0; i < a.Count; i++)
            Assert.IsFalse(a[i].Image.SequenceEqual(b[i].Image), $"slice {i}");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(5)]
    public void RespectsSizeChannelsAndRanges(int channels)
    {
        var samples = new SyntheticMriGenerator(new() { Size = new ImageSize(48, 80), Channels = channels, Seed = 4 }).Generate(10);

        foreach (var s in samples)
        {
            s.Validate();
            Assert.AreEqual((channels, 48, 80), (s.Channels, s.Height, s.Width));
            Assert.IsTrue(s.Image.All(v => v >= 0 && v <= 1), s.Name);
            Assert.IsTrue(s.Mask.All(m => m <= 1), s.Name);
        }
    }

    [TestMethod]
    public void SlicesComeInNamedPatients()
    {
        var samples = new SyntheticMriGenerator(new() { SlicesPerPatient = 4, Size = ImageSize.Square(16) }).Generate(10);

        Assert.AreEqual("synthetic-p002-s01", samples[9].Name);
        Assert.AreEqual("synthetic-p002", samples[9].GroupId);
        Assert.AreSequenceEqual(new[] { 4, 4, 2 }, samples.GroupBy(s => s.GroupId).Select(g => g.Count()));
        Assert.IsTrue(samples.All(s => SyntheticMriGenerator.GroupOf(s.Name) == s.GroupId));
        Assert.ThrowsExactly<ArgumentException>(() => SyntheticMriGenerator.GroupOf("scan-007"));
    }

    [TestMethod]
    public void EmptyFractionRoughlyHolds()
    {
        var samples = new SyntheticMriGenerator(new() { Seed = 21 }).Generate(400);

        double empty = samples.Count(s => !s.HasForeground) / 400.0;

        // Binomial(400, 0.3) has a standard deviation of 0.023; 0.08 is about 3.5 of them.
        Assert.IsInRange(0.22, 0.38, empty);
    }

    [TestMethod]
    [DataRow(0.0, 16)]
    [DataRow(0.0, 64)]
    [DataRow(1.0, 64)]
    public void ExtremeEmptyFractionsAreExact(double fraction, int size)
    {
        var samples = new SyntheticMriGenerator(new() { EmptyFraction = fraction, Size = ImageSize.Square(size), Seed = 8 }).Generate(100);

        // Even the smallest lesion on the smallest slice keeps at least one pixel.
        Assert.AreEqual((int)((1 - fraction) * 100), samples.Count(s => s.HasForeground));
    }

    [TestMethod]
    public void LesionsLieInsideTheHead()
    {
        // Without noise the background outside the head is exactly 0; flood it from the image border.
        var samples = new SyntheticMriGenerator(new() { NoiseScale = 0, EmptyFraction = 0, Seed = 13 }).Generate(60);

        foreach (var s in samples)
        {
            var outside = Outside(s.Image, s.Height, s.Width);
            for (int y = 0; y < s.Height; y++)
                for (int x = 0; x < s.Width; x++)
                {
                    if (s.Mask[y * s.Width + x] == 0)
                        continue;
                    // Lesion pixels are at least two pixels (the skull) away from the background.
                    for (int dy = -2; dy <= 2; dy++)
                        for (int dx = -2; dx <= 2; dx++)
                        {
                            int ny = y + dy, nx = x + dx;
                            Assert.IsTrue(ny >= 0 && ny < s.Height && nx >= 0 && nx < s.Width && !outside[ny * s.Width + nx],
                                $"{s.Name}: lesion pixel ({y}, {x}) near the background");
                        }
                }
        }
    }

    [TestMethod]
    public void LesionsAreBrightInFlair()
    {
        var samples = new SyntheticMriGenerator(new() { EmptyFraction = 0, Seed = 17 }).Generate(40);

        // Mean over lesion pixels against the rest of the head (anything clearly above the background noise).
        var lesion = samples.SelectMany(s => s.Image.Where((v, i) => s.Mask[i] == 1)).Average();
        var head = samples.SelectMany(s => s.Image.Where((v, i) => s.Mask[i] == 0 && v > 0.2f)).Average();

        Assert.IsGreaterThan(head + 0.1, lesion);
    }

    [TestMethod]
    public void ChannelsAreCorrelatedButDifferent()
    {
        var s = new SyntheticMriGenerator(new() { Channels = 3, Seed = 2 }).Generate(1)[0];
        int n = s.Height * s.Width;
        var pre = s.Image.AsSpan(0, n).ToArray();
        var flair = s.Image.AsSpan(n, n).ToArray();

        Assert.IsGreaterThan(0.5, Correlation(pre, flair));
        Assert.IsGreaterThan(0.1f, pre.Zip(flair).Max(p => Math.Abs(p.First - p.Second)));
    }

    [TestMethod]
    public void RejectsBadOptions()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticMriGenerator(new() { Size = ImageSize.Square(8) }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticMriGenerator(new() { EmptyFraction = 1.5 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticMriGenerator(new() { Channels = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticMriGenerator(new() { SlicesPerPatient = 0 }));
    }

    private static bool[] Outside(float[] image, int height, int width)
    {
        var outside = new bool[height * width];
        var queue = new Queue<int>();
        void Visit(int y, int x)
        {
            int i = y * width + x;
            if (y < 0 || y >= height || x < 0 || x >= width || outside[i] || image[i] != 0)
                return;
            outside[i] = true;
            queue.Enqueue(i);
        }
        for (int x = 0; x < width; x++) { Visit(0, x); Visit(height - 1, x); }
        for (int y = 0; y < height; y++) { Visit(y, 0); Visit(y, width - 1); }
        while (queue.TryDequeue(out int i))
        {
            int y = i / width, x = i % width;
            Visit(y - 1, x); Visit(y + 1, x); Visit(y, x - 1); Visit(y, x + 1);
        }
        return outside;
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        return cov / Math.Sqrt(a.Sum(v => (v - ma) * (v - ma)) * b.Sum(v => (v - mb) * (v - mb)));
    }
}
