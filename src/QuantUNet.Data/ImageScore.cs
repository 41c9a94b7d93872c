namespace QuantUNet.Data;

/// <summary>Scores of one evaluated image: its confusion counts, Dice, IoU and HD95 (null when either mask is empty).</summary>
/// <param name="Index">Position in the order images were added to the evaluator.</param>
/// <param name="Name">The image's name as added; null when none was given.</param>
/// <param name="GroupId">The image's patient or volume; null when none was given.</param>
/// <param name="Counts">Its pixels' confusion counts.</param>
/// <param name="Hd95">95th-percentile Hausdorff distance in pixels; null when either mask is empty.</param>
public sealed record ImageScore(int Index, string? Name, string? GroupId, ConfusionCounts Counts, double? Hd95)
{
    /// <summary>Dice of this image, 2TP / (2TP + FP + FN); 1 when both masks are empty.</summary>
    public double Dice => Counts.Dice;

    /// <summary>Intersection over union of this image, TP / (TP + FP + FN); 1 when both masks are empty.</summary>
    public double IoU => Counts.IoU;
}
