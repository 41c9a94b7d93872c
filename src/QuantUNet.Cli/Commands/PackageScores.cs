using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// Held-out figures of a model as <c>quantunet evaluate</c> and the ML.NET transformer compute them: through
/// <see cref="SegmentationScorer"/>, so every figure train, sweep and demo report is one a user reproduces with the saved model.
/// </summary>
internal static class PackageScores
{
    /// <param name="mode">Null for <see cref="SegmentationScorer.DefaultMode"/>, as <c>evaluate</c> picks without <c>--mode</c>.</param>
    /// <param name="threads">Threads the integer engine may use; 0 for all cores.</param>
    public static SegmentationScores Of(ModelPackage package, IReadOnlyList<SegmentationSample> samples, ScoringMode? mode = null, int threads = 0)
    {
        using var scorer = SegmentationScorer.Create(package, mode ?? SegmentationScorer.DefaultMode(package), samples[0].Height, samples[0].Width, threads);
        return scorer.Evaluate(samples);
    }
}
