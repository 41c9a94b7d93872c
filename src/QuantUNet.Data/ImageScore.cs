namespace QuantUNet.Data;

/// <summary>Scores of one evaluated image: its confusion counts, Dice, IoU and HD95 (null when either mask is empty).</summary>
/// <param name="Index">Position in the order images were added to the evaluator.</param>
public sealed record ImageScore(int Index, string? Name, string? GroupId, ConfusionCounts Counts, double? Hd95)
{
    public double Dice => Counts.Dice;

    public double IoU => Counts.IoU;
}
