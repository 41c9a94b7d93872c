using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// The engine behind a <see cref="SegmentationScorer"/>: TorchSharp (QuantUNet.MLNet.Training) or the integer engine
/// (this assembly). Each lives in the assembly of its dependencies, so a model saved by one process can be scored by
/// another that has only the engine its <see cref="ScoringMode"/> needs.
/// </summary>
internal interface ISegmentationScorer : IDisposable
{
    /// <summary>Scores <paramref name="count"/> images. An image's scores must not depend on the others in the batch,
    /// so that every door (Transform, a PredictionEngine, the CLI) gives the same bits.</summary>
    /// <param name="count">Images in <paramref name="images"/>.</param>
    /// <param name="images">count images one after another, each planar (channel-major, CHW) floats in [0, 1] of the model's channels and the scorer's height and width.</param>
    /// <param name="probabilities">count x height x width foreground probabilities, row-major.</param>
    /// <param name="foreground">count x height x width decisions, as the engine makes them (a logit above 0), not re-derived from the rounded probabilities.</param>
    void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground);
}

/// <summary>Makes scorers for the scoring modes one engine serves.</summary>
internal interface ISegmentationScorerProvider
{
    IReadOnlyCollection<ScoringMode> Modes { get; }

    /// <param name="package">The trained model.</param>
    /// <param name="mode">One of <see cref="Modes"/>.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="threads">Threads the engine may use; 0 for its default.</param>
    ISegmentationScorer Create(ModelPackage package, ScoringMode mode, int height, int width, int threads);
}
