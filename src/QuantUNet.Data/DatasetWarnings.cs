namespace QuantUNet.Data;

/// <summary>
/// Problems of a dataset that do not stop training but make its result doubtful. Training still runs on such data
/// (the loss stays finite, and the soft Dice of two empty masks is perfect); the caller shows these to the user.
/// </summary>
public static class DatasetWarnings
{
    /// <summary>The warnings for <paramref name="samples"/>, each starting with <paramref name="dataName"/>; empty when there are none.</summary>
    /// <param name="dataName">What the samples are, as the user knows them: a folder, "the training data".</param>
    /// <param name="samples">The loaded samples.</param>
    public static IReadOnlyList<string> Check(IReadOnlyCollection<SegmentationSample> samples, string dataName)
    {
        var warnings = new List<string>();
        if (samples.Count > 0 && !samples.Any(s => s.HasForeground))
            warnings.Add($"{dataName}: every one of the {samples.Count} masks is empty (no foreground pixel); "
                + "training runs, but the model can only learn to predict background.");
        return warnings;
    }
}
