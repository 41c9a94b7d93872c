namespace QuantUNet.Data;

/// <summary>
/// Segmentation scores over a set of images. "Pooled" scores come from the confusion counts summed over every
/// pixel of every image, so large lesions weigh more; <see cref="MeanDice"/> averages per-image Dice instead,
/// so each image weighs the same. Empty-mask rules are those of <see cref="ConfusionCounts"/>; HD95 is as in <see cref="Data.Hd95"/>.
/// </summary>
public sealed class SegmentationScores
{
    internal SegmentationScores(IReadOnlyList<ImageScore> images)
    {
        PerImage = images;
        var groups = new Dictionary<string, ConfusionCounts>(StringComparer.Ordinal);
        double diceSum = 0, hd95Sum = 0;
        foreach (var image in images)
        {
            Counts += image.Counts;
            diceSum += image.Dice;
            if (image.Counts.ActualPositives == 0)
                EmptyTruthCount++;
            if (image.Hd95 is { } hd95)
            {
                hd95Sum += hd95;
                Hd95ImageCount++;
            }
            if (image.GroupId is { } group)
                groups[group] = groups.GetValueOrDefault(group) + image.Counts;
        }
        MeanDice = diceSum / images.Count; // the evaluator never scores zero images
        Hd95 = Hd95ImageCount == 0 ? double.NaN : hd95Sum / Hd95ImageCount;
        GroupCount = groups.Count;
        MeanGroupDice = groups.Count == 0 ? double.NaN : groups.Values.Average(c => c.Dice);
    }

    /// <summary>Confusion counts summed over all pixels of all images.</summary>
    public ConfusionCounts Counts { get; }

    /// <summary>Images evaluated.</summary>
    public int ImageCount => PerImage.Count;

    /// <summary>Images whose true mask is empty.</summary>
    public int EmptyTruthCount { get; }

    /// <summary>Pooled Dice.</summary>
    public double Dice => Counts.Dice;

    /// <summary>Mean of per-image Dice (an image with both masks empty scores 1).</summary>
    public double MeanDice { get; }

    /// <summary>Pooled IoU.</summary>
    public double IoU => Counts.IoU;

    /// <summary>Pooled pixel accuracy, (TP + TN) / all pixels.</summary>
    public double PixelAccuracy => Counts.PixelAccuracy;

    /// <summary>Pooled precision, TP / (TP + FP).</summary>
    public double Precision => Counts.Precision;

    /// <summary>Pooled recall (sensitivity).</summary>
    public double Recall => Counts.Recall;

    /// <summary>Pooled specificity, TN / (TN + FP).</summary>
    public double Specificity => Counts.Specificity;

    /// <summary>Mean HD95 in pixels over the images where both masks are non-empty; NaN when there are none.</summary>
    public double Hd95 { get; }

    /// <summary>Images that contributed to <see cref="Hd95"/>.</summary>
    public int Hd95ImageCount { get; }

    /// <summary>Images left out of <see cref="Hd95"/> because the prediction or the truth is empty.</summary>
    public int Hd95UndefinedCount => ImageCount - Hd95ImageCount;

    /// <summary>
    /// Dice of each group's pooled pixels, averaged over groups (each patient weighs the same); NaN when no image
    /// was given a group. Images added without a group id are left out.
    /// </summary>
    public double MeanGroupDice { get; }

    /// <summary>Distinct group ids among the images.</summary>
    public int GroupCount { get; }

    /// <summary>Per-image results in the order they were added.</summary>
    public IReadOnlyList<ImageScore> PerImage { get; }
}
