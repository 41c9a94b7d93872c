namespace QuantUNet.Data;

/// <summary>Train/validation splits that keep every group (patient, volume) whole, so no patient leaks across the split.</summary>
public static class DatasetSplit
{
    /// <summary>
    /// Splits by <see cref="SegmentationSample.GroupId"/>: round(<paramref name="validationFraction"/> x group count)
    /// randomly chosen groups go to validation, kept between 1 and count - 1 when the fraction is above zero.
    /// The fraction counts groups, not slices. Both lists keep the input order of the samples.
    /// Deterministic: the same samples and seed give the same split whatever order the groups first appear in.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside [0, 1).</exception>
    /// <exception cref="ArgumentException">A validation share is asked for but there are fewer than two groups.</exception>
    public static (IReadOnlyList<SegmentationSample> Train, IReadOnlyList<SegmentationSample> Validation) ByGroup(
        IReadOnlyList<SegmentationSample> samples, double validationFraction, int seed)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        if (validationFraction == 0)
            return (samples.ToArray(), []);

        // Sorted first so the shuffle, and hence the split, does not depend on the input order.
        var groups = samples.Select(s => s.GroupId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (groups.Length < 2)
            throw new ArgumentException(
                $"A validation fraction of {validationFraction} needs at least two groups to split by, but "
                + (groups.Length == 0 ? "there are no samples." : $"all {samples.Count} samples belong to group '{groups[0]}'."),
                nameof(samples));

        new Random(seed).Shuffle(groups);
        int validationCount = Math.Clamp((int)Math.Round(validationFraction * groups.Length), 1, groups.Length - 1);
        var validationGroups = groups.Take(validationCount).ToHashSet(StringComparer.Ordinal);
        var train = new List<SegmentationSample>();
        var validation = new List<SegmentationSample>();
        foreach (var sample in samples)
            (validationGroups.Contains(sample.GroupId) ? validation : train).Add(sample);
        return (train, validation);
    }
}
