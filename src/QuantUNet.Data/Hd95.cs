namespace QuantUNet.Data;

/// <summary>
/// The 95th-percentile symmetric Hausdorff distance (HD95) between two binary masks, in pixels, following
/// medpy's <c>hd95</c>: distances are measured between the masks' boundary pixels, not all their pixels.
/// </summary>
/// <remarks>
/// Definition: a boundary pixel is a foreground pixel with at least one background 4-neighbour, pixels
/// outside the image counting as background (medpy: the mask XOR its erosion by the cross structuring
/// element, border value 0). For every boundary pixel of each mask, take the Euclidean distance to the nearest
/// boundary pixel of the other mask; HD95 is the 95th percentile of the union of both sets of distances,
/// with numpy's default linear interpolation between order statistics. It is undefined (null) when either
/// mask is empty. Distances come from an exact Euclidean distance transform (Felzenszwalb and Huttenlocher),
/// so the cost is O(height x width) plus sorting the boundary distances.
/// </remarks>
public static class Hd95
{
    private const double Percentile = 95.0;

    /// <summary>HD95 of two row-major masks of the same height x width (non-zero is foreground); null when either is empty.</summary>
    public static double? Compute(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (predicted.Length != height * width || truth.Length != height * width)
            throw new ArgumentException(
                $"Masks of {predicted.Length} (prediction) and {truth.Length} (truth) pixels for a {height}x{width} image.");

        var predictedBoundary = Boundary(predicted, height, width);
        var truthBoundary = Boundary(truth, height, width);
        if (predictedBoundary.Count == 0 || truthBoundary.Count == 0)
            return null;

        var toTruth = SquaredDistanceToNearest(truthBoundary, height, width);
        var toPredicted = SquaredDistanceToNearest(predictedBoundary, height, width);
        var distances = new double[predictedBoundary.Count + truthBoundary.Count];
        int n = 0;
        foreach (int pixel in predictedBoundary)
            distances[n++] = Math.Sqrt(toTruth[pixel]);
        foreach (int pixel in truthBoundary)
            distances[n++] = Math.Sqrt(toPredicted[pixel]);
        Array.Sort(distances);
        return SortedPercentile.Linear(distances, Percentile);
    }

    /// <summary>Indices of the mask's boundary pixels, in row-major order.</summary>
    private static List<int> Boundary(ReadOnlySpan<byte> mask, int height, int width)
    {
        var boundary = new List<int>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                if (mask[i] == 0)
                    continue;
                bool interior = y > 0 && mask[i - width] != 0
                    && y < height - 1 && mask[i + width] != 0
                    && x > 0 && mask[i - 1] != 0
                    && x < width - 1 && mask[i + 1] != 0;
                if (!interior)
                    boundary.Add(i);
            }
        }
        return boundary;
    }

    /// <summary>Exact squared Euclidean distance from every pixel to the nearest listed pixel: a 1-D transform down each column, then along each row.</summary>
    private static double[] SquaredDistanceToNearest(List<int> features, int height, int width)
    {
        var grid = new double[height * width];
        Array.Fill(grid, double.PositiveInfinity);
        foreach (int pixel in features)
            grid[pixel] = 0;

        int longest = Math.Max(height, width);
        var line = new double[longest];
        var result = new double[longest];
        var sites = new int[longest];
        var bounds = new double[longest + 1];

        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++)
                line[y] = grid[y * width + x];
            LowerEnvelope(line.AsSpan(0, height), result, sites, bounds);
            for (int y = 0; y < height; y++)
                grid[y * width + x] = result[y];
        }
        for (int y = 0; y < height; y++)
        {
            var row = grid.AsSpan(y * width, width);
            row.CopyTo(line);
            LowerEnvelope(line.AsSpan(0, width), result, sites, bounds);
            result.AsSpan(0, width).CopyTo(row);
        }
        return grid;
    }

    /// <summary>
    /// Felzenszwalb-Huttenlocher 1-D squared distance transform: d(q) = min over p of (q - p)^2 + f(p), as the lower
    /// envelope of parabolas. Infinite samples add no parabola, so a line without any finite sample stays infinite.
    /// </summary>
    private static void LowerEnvelope(ReadOnlySpan<double> f, Span<double> d, Span<int> sites, Span<double> bounds)
    {
        int k = -1;
        for (int q = 0; q < f.Length; q++)
        {
            if (double.IsPositiveInfinity(f[q]))
                continue;
            if (k < 0)
            {
                k = 0;
                sites[0] = q;
                bounds[0] = double.NegativeInfinity;
                bounds[1] = double.PositiveInfinity;
                continue;
            }
            double s = Intersection(f, q, sites[k]);
            while (s <= bounds[k])
                s = Intersection(f, q, sites[--k]);
            k++;
            sites[k] = q;
            bounds[k] = s;
            bounds[k + 1] = double.PositiveInfinity;
        }

        if (k < 0)
        {
            d[..f.Length].Fill(double.PositiveInfinity);
            return;
        }
        k = 0;
        for (int q = 0; q < f.Length; q++)
        {
            while (bounds[k + 1] < q)
                k++;
            double offset = q - sites[k];
            d[q] = offset * offset + f[sites[k]];
        }
    }

    // Where the parabolas rooted at q and p cross; bounds[0] = -infinity stops the envelope search at the first site.
    private static double Intersection(ReadOnlySpan<double> f, int q, int p) =>
        (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * (q - p));
}
