using System.Globalization;
using QuantUNet.Data;

namespace QuantUNet.MLNet;

/// <summary>
/// Segmentation metrics over a set of images, from <see cref="SegmentationCatalog.Evaluate"/>. "Pooled" metrics come
/// from the confusion counts summed over all pixels of all images; <see cref="MeanDice"/> averages per-image Dice.
/// Empty masks: Dice and IoU are 1 when prediction and truth are both empty and 0 when exactly one is; HD95 is
/// undefined when either is empty, and such images are counted in <see cref="Hd95UndefinedCount"/>, not averaged.
/// </summary>
public sealed class SegmentationMetrics
{
    private readonly SegmentationScores _scores;

    internal SegmentationMetrics(SegmentationScores scores) => _scores = scores;

    /// <summary>Pooled Dice, 2 TP / (2 TP + FP + FN).</summary>
    public double Dice => _scores.Dice;

    /// <summary>Mean of per-image Dice.</summary>
    public double MeanDice => _scores.MeanDice;

    /// <summary>Pooled intersection over union (Jaccard).</summary>
    public double IoU => _scores.IoU;

    /// <summary>Pooled share of pixels decided right, (TP + TN) / all pixels.</summary>
    public double PixelAccuracy => _scores.PixelAccuracy;

    /// <summary>Pooled TP / (TP + FP): the share of predicted foreground that is foreground.</summary>
    public double Precision => _scores.Precision;

    /// <summary>Pooled recall (sensitivity).</summary>
    public double Recall => _scores.Recall;

    /// <summary>Pooled TN / (TN + FP): the share of background predicted as background.</summary>
    public double Specificity => _scores.Specificity;

    /// <summary>Mean 95th-percentile Hausdorff distance in pixels over images where both masks are non-empty; NaN when there are none.</summary>
    public double Hd95 => _scores.Hd95;

    /// <summary>Images averaged into <see cref="Hd95"/>.</summary>
    public int Hd95ImageCount => _scores.Hd95ImageCount;

    /// <summary>Images left out of <see cref="Hd95"/> because the prediction or the truth is empty.</summary>
    public int Hd95UndefinedCount => _scores.Hd95UndefinedCount;

    /// <summary>Dice of each group's pooled pixels averaged over groups (per-patient Dice); NaN without a group column.</summary>
    public double MeanGroupDice => _scores.MeanGroupDice;

    /// <summary>Distinct groups (patients) in the group column; 0 without one.</summary>
    public int GroupCount => _scores.GroupCount;

    /// <summary>Images evaluated.</summary>
    public int ImageCount => _scores.ImageCount;

    /// <summary>Images whose true mask is empty.</summary>
    public int EmptyTruthCount => _scores.EmptyTruthCount;

    /// <summary>The pixel counts behind the pooled metrics.</summary>
    public ConfusionCounts Counts => _scores.Counts;

    /// <summary>Each image's counts, Dice, IoU and HD95, in data order.</summary>
    public IReadOnlyList<ImageScore> PerImage => _scores.PerImage;

    /// <summary>The headline metrics on one line, invariant culture.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Dice {Dice:P2} (mean per image {MeanDice:P2}{(GroupCount > 0 ? $", per group {MeanGroupDice:P2}" : "")}), IoU {IoU:P2}, "
        + $"pixel accuracy {PixelAccuracy:P2}, precision {Precision:P2}, recall {Recall:P2}, specificity {Specificity:P2}, "
        + $"HD95 {Hd95:F2} px over {Hd95ImageCount} of {ImageCount} images");
}
