namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class Hd95Tests
{
    [TestMethod]
    public void SinglePixelsThreeApart()
    {
        var a = Masks.Points(5, 5, (2, 0));
        var b = Masks.Points(5, 5, (2, 3));

        Assert.AreEqual(3.0, Hd95.Compute(a, b, 5, 5));
    }

    [TestMethod]
    public void DistancesAreEuclidean()
    {
        var a = Masks.Points(5, 6, (0, 0));
        var b = Masks.Points(5, 6, (3, 4));

        Assert.AreEqual(5.0, Hd95.Compute(a, b, 5, 6)!.Value, 1e-12);
    }

    [TestMethod]
    public void IdenticalMasksAreZeroApart()
    {
        var a = Masks.Parse("0110", "1111", "0110");

        Assert.AreEqual(0.0, Hd95.Compute(a, a, 3, 4));
    }

    [TestMethod]
    public void SquareShiftedTwoPixels()
    {
        // 4x4 squares, the second two columns to the right. Each boundary has 12 pixels whose distances to the
        // other boundary are four 0s, four 1s and four 2s (by symmetry the same both ways): the 95th percentile is 2.
        string[] rows = ["0000000000", "0000000000", "00####0000", "00####0000", "00####0000", "00####0000", "0000000000", "0000000000"];
        var a = Masks.Parse(rows);
        var b = Masks.Parse([.. rows.Select(r => "00" + r[..^2])]);

        Assert.AreEqual(2.0, Hd95.Compute(a, b, 8, 10));
    }

    [TestMethod]
    public void PercentileInterpolatesLikeNumpy()
    {
        // a: five pixels on row 0; b: the same plus one pixel 10 rows below. Distances: 5 zeros (a to b),
        // 5 zeros and one 10 (b to a). 11 sorted values, rank 0.95 x 10 = 9.5: halfway between 0 and 10.
        var a = Masks.Points(12, 6, (0, 0), (0, 1), (0, 2), (0, 3), (0, 4));
        var b = Masks.Points(12, 6, (0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (10, 0));

        Assert.AreEqual(5.0, Hd95.Compute(a, b, 12, 6)!.Value, 1e-12);
    }

    [TestMethod]
    public void DistancesAreMeasuredBetweenBoundaries()
    {
        // A filled 7x7 square against its centre pixel: only the square's 24 ring pixels count, at distances
        // 3 (x4), sqrt(10) (x8), sqrt(13) (x8) and sqrt(18) (x4), plus 3 from the centre to the ring.
        // 25 sorted values, rank 0.95 x 24 = 22.8 falls among the sqrt(18)s.
        var square = Masks.Parse("#######", "#######", "#######", "#######", "#######", "#######", "#######");
        var centre = Masks.Points(7, 7, (3, 3));

        Assert.AreEqual(Math.Sqrt(18), Hd95.Compute(square, centre, 7, 7)!.Value, 1e-12);
    }

    [TestMethod]
    public void UndefinedWhenEitherMaskIsEmpty()
    {
        var some = Masks.Points(3, 3, (1, 1));
        var none = new byte[9];

        Assert.IsNull(Hd95.Compute(some, none, 3, 3));
        Assert.IsNull(Hd95.Compute(none, some, 3, 3));
        Assert.IsNull(Hd95.Compute(none, none, 3, 3));
    }

    [TestMethod]
    public void MatchesBruteForceOnRandomMasks()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int height = random.Next(1, 20), width = random.Next(1, 20);
            double density = random.NextDouble();
            var a = RandomMask(random, height, width, density);
            var b = RandomMask(random, height, width, density * random.NextDouble());

            double? expected = BruteForce(a, b, height, width);
            double? actual = Hd95.Compute(a, b, height, width);

            Assert.AreEqual(expected.HasValue, actual.HasValue, $"trial {trial}");
            if (expected is { } e)
                Assert.AreEqual(e, actual!.Value, 1e-9, $"trial {trial} ({height}x{width})");
            double? forward = actual, backward = Hd95.Compute(b, a, height, width);
            Assert.AreEqual(forward, backward, $"trial {trial}: HD95 is symmetric");
        }
    }

    [TestMethod]
    public void MismatchedSizesAreRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Hd95.Compute(new byte[6], new byte[6], 2, 4));
    }

    private static byte[] RandomMask(Random random, int height, int width, double density) =>
        [.. Enumerable.Range(0, height * width).Select(_ => random.NextDouble() < density ? (byte)1 : (byte)0)];

    /// <summary>The definition taken literally: boundary pixels, all-pairs nearest distances, numpy's linear percentile.</summary>
    private static double? BruteForce(byte[] a, byte[] b, int height, int width)
    {
        var boundaryA = Boundary(a, height, width);
        var boundaryB = Boundary(b, height, width);
        if (boundaryA.Count == 0 || boundaryB.Count == 0)
            return null;
        var distances = boundaryA.Select(p => Nearest(p, boundaryB))
            .Concat(boundaryB.Select(p => Nearest(p, boundaryA)))
            .Order()
            .ToArray();
        double rank = 0.95 * (distances.Length - 1);
        int low = (int)rank, high = Math.Min(low + 1, distances.Length - 1);
        return distances[low] + (rank - low) * (distances[high] - distances[low]);
    }

    private static List<(int Y, int X)> Boundary(byte[] mask, int height, int width)
    {
        bool On(int y, int x) => y >= 0 && y < height && x >= 0 && x < width && mask[y * width + x] != 0;
        var boundary = new List<(int, int)>();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (On(y, x) && !(On(y - 1, x) && On(y + 1, x) && On(y, x - 1) && On(y, x + 1)))
                    boundary.Add((y, x));
        return boundary;
    }

    private static double Nearest((int Y, int X) p, List<(int Y, int X)> others) =>
        others.Min(o => Math.Sqrt((double)(p.Y - o.Y) * (p.Y - o.Y) + (double)(p.X - o.X) * (p.X - o.X)));
}
