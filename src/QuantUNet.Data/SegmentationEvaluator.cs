namespace QuantUNet.Data;

/// <summary>
/// Accumulates predicted and true masks one image at a time and summarises them as <see cref="SegmentationScores"/>.
/// Not thread-safe: use one evaluator per thread, or add from one thread only.
/// </summary>
public sealed class SegmentationEvaluator
{
    private readonly List<ImageScore> _images = [];

    /// <summary>Images added so far.</summary>
    public int ImageCount => _images.Count;

    /// <summary>
    /// Scores one image: row-major masks of <paramref name="height"/> x <paramref name="width"/>, non-zero is foreground.
    /// <paramref name="groupId"/> (patient or volume) feeds <see cref="SegmentationScores.MeanGroupDice"/>.
    /// </summary>
    public ImageScore Add(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int height, int width, string? groupId = null, string? name = null)
    {
        // Hd95 checks both lengths against height x width before anything is recorded.
        var hd95 = Hd95.Compute(predicted, truth, height, width);
        var score = new ImageScore(_images.Count, name, groupId, ConfusionCounts.From(predicted, truth), hd95);
        _images.Add(score);
        return score;
    }

    /// <summary>
    /// Scores a batch of samples against their predicted masks, concatenated in the samples' order as a batch scorer
    /// returns them; each sample's name and group are kept.
    /// </summary>
    /// <exception cref="ArgumentException">The masks do not add up to the samples' pixels.</exception>
    public void Add(ReadOnlySpan<byte> predictedBatch, IReadOnlyList<SegmentationSample> samples)
    {
        long pixels = samples.Sum(s => (long)s.Height * s.Width);
        if (pixels != predictedBatch.Length)
            throw new ArgumentException($"{predictedBatch.Length} predicted pixels for {samples.Count} samples of {pixels} pixels.", nameof(predictedBatch));
        int offset = 0;
        foreach (var sample in samples)
        {
            int area = sample.Height * sample.Width;
            Add(predictedBatch.Slice(offset, area), sample.Mask, sample.Height, sample.Width, sample.GroupId, sample.Name);
            offset += area;
        }
    }

    /// <summary>An immutable summary of every image added so far.</summary>
    /// <exception cref="InvalidOperationException">No image has been added.</exception>
    public SegmentationScores GetScores()
    {
        if (_images.Count == 0)
            throw new InvalidOperationException("No images were added to the evaluator; there is nothing to score.");
        return new SegmentationScores([.. _images]);
    }
}
