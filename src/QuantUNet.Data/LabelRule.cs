namespace QuantUNet.Data;

/// <summary>Which voxel values of a label volume are foreground when it becomes a binary mask.</summary>
public sealed class LabelRule
{
    private readonly string description;
    private readonly Func<float, bool> isForeground;

    private LabelRule(string description, Func<float, bool> isForeground)
    {
        this.description = description;
        this.isForeground = isForeground;
    }

    /// <summary>Every value above zero: a brain mask from a skull-stripped volume, or all labels of an atlas.</summary>
    public static LabelRule Positive { get; } = new("> 0", value => value > 0);

    /// <summary>Exactly this label, e.g. 37 for the left hippocampus in AAL.</summary>
    public static LabelRule Value(int label) => new($"= {label}", value => value == label);

    /// <summary>Any of these labels, e.g. 37 and 38 for both hippocampi in AAL.</summary>
    /// <exception cref="ArgumentException">No labels are given.</exception>
    public static LabelRule AnyOf(params IEnumerable<int> labels)
    {
        // Labels compared as floats: voxels are floats, and integers up to 2^24 convert exactly.
        var set = labels.Select(label => (float)label).ToHashSet();
        if (set.Count == 0)
            throw new ArgumentException("A label set needs at least one label.", nameof(labels));
        return new($"in {{{string.Join(", ", set.Order())}}}", set.Contains);
    }

    /// <summary>Whether a voxel or pixel of this value is foreground under the rule.</summary>
    /// <param name="value">A label value, as stored in the mask.</param>
    public bool IsForeground(float value) => isForeground(value);

    /// <summary>The rule as written in reports: "&gt; 0", "= 37" or "in {37, 38}".</summary>
    public override string ToString() => description;
}
