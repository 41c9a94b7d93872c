using System.Numerics;

namespace QuantUNet.Data;

/// <summary>Percentiles of sorted values, shared by the HD95 metric and the NIfTI intensity bounds.</summary>
internal static class SortedPercentile
{
    /// <summary>numpy's default ("linear") percentile of sorted values: interpolates between the two nearest ranks.</summary>
    public static double Linear<T>(T[] sorted, double percentile) where T : INumberBase<T>
    {
        double rank = percentile / 100.0 * (sorted.Length - 1);
        int lower = (int)Math.Floor(rank);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        double below = double.CreateTruncating(sorted[lower]), above = double.CreateTruncating(sorted[upper]);
        return below + (rank - lower) * (above - below);
    }
}
