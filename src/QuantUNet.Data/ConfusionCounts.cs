using System.Runtime.InteropServices;

namespace QuantUNet.Data;

/// <summary>
/// Pixel confusion counts of a binary segmentation, and the scores derived from them. Counts add up with
/// <c>+</c>, so pooled scores over many images come from summing their counts.
/// </summary>
/// <remarks>
/// Empty rules (where a ratio would be 0/0): Dice and IoU are 1 when prediction and truth are both empty and
/// 0 when exactly one is; Precision with no predicted positives is 1 if the truth is empty too, else 0;
/// Recall with no positives in the truth is 1 if the prediction is empty, else 0; Specificity with no
/// negatives in the truth is 1; PixelAccuracy over zero pixels is 1.
/// </remarks>
public readonly record struct ConfusionCounts(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
{
    /// <summary>Counts a predicted mask against the truth; any non-zero byte is foreground.</summary>
    public static ConfusionCounts From(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        CheckLengths(predicted.Length, truth.Length);
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            bool p = predicted[i] != 0, t = truth[i] != 0;
            if (p && t) tp++;
            else if (p) fp++;
            else if (t) fn++;
        }
        return new ConfusionCounts(tp, fp, predicted.Length - tp - fp - fn, fn);
    }

    /// <summary>Counts a predicted mask against the truth, given as booleans.</summary>
    public static ConfusionCounts From(ReadOnlySpan<bool> predicted, ReadOnlySpan<bool> truth)
        // A .NET bool is one byte, 0 for false, so the byte overload applies unchanged.
        => From(MemoryMarshal.AsBytes(predicted), MemoryMarshal.AsBytes(truth));

    /// <summary>The pooled counts of two sets of images: each count summed.</summary>
    /// <param name="a">One set's counts.</param>
    /// <param name="b">The other's.</param>
    public static ConfusionCounts operator +(ConfusionCounts a, ConfusionCounts b) => new(
        a.TruePositives + b.TruePositives,
        a.FalsePositives + b.FalsePositives,
        a.TrueNegatives + b.TrueNegatives,
        a.FalseNegatives + b.FalseNegatives);

    /// <summary>All pixels counted.</summary>
    public long Total => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    /// <summary>Foreground pixels in the prediction (TP + FP).</summary>
    public long PredictedPositives => TruePositives + FalsePositives;

    /// <summary>Foreground pixels in the truth (TP + FN).</summary>
    public long ActualPositives => TruePositives + FalseNegatives;

    /// <summary>2 TP / (2 TP + FP + FN); 1 when both masks are empty.</summary>
    public double Dice => PredictedPositives + ActualPositives == 0
        ? 1.0
        : 2.0 * TruePositives / (PredictedPositives + ActualPositives);

    /// <summary>TP / (TP + FP + FN), the Jaccard index; 1 when both masks are empty.</summary>
    public double IoU => TruePositives + FalsePositives + FalseNegatives == 0
        ? 1.0
        : (double)TruePositives / (TruePositives + FalsePositives + FalseNegatives);

    /// <summary>(TP + TN) / all pixels; 1 over zero pixels.</summary>
    public double PixelAccuracy => Total == 0 ? 1.0 : (double)(TruePositives + TrueNegatives) / Total;

    /// <summary>TP / (TP + FP); with nothing predicted, 1 if the truth is empty too, else 0.</summary>
    public double Precision => PredictedPositives == 0
        ? (ActualPositives == 0 ? 1.0 : 0.0)
        : (double)TruePositives / PredictedPositives;

    /// <summary>Sensitivity, TP / (TP + FN); with an empty truth, 1 if nothing is predicted, else 0.</summary>
    public double Recall => ActualPositives == 0
        ? (PredictedPositives == 0 ? 1.0 : 0.0)
        : (double)TruePositives / ActualPositives;

    /// <summary>TN / (TN + FP); 1 when the truth has no background pixels.</summary>
    public double Specificity => TrueNegatives + FalsePositives == 0
        ? 1.0
        : (double)TrueNegatives / (TrueNegatives + FalsePositives);

    private static void CheckLengths(int predicted, int truth)
    {
        if (predicted != truth)
            throw new ArgumentException($"Prediction has {predicted} pixels, the truth {truth}; masks must have the same size.");
    }
}
