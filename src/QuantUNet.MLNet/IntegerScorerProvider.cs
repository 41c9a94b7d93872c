using System.Buffers;
using QuantUNet.Integer;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// The pure C# engine behind <see cref="ScoringMode.Integer"/>, on the package's integer model (exported at training,
/// because exporting needs TorchSharp; scoring needs only QuantUNet.Integer, so it lives in this assembly).
/// </summary>
internal sealed class IntegerScorerProvider : ISegmentationScorerProvider
{
    public static IntegerScorerProvider Instance { get; } = new();

    public IReadOnlyCollection<ScoringMode> Modes { get; } = [ScoringMode.Integer];

    public ISegmentationScorer Create(ModelPackage package, ScoringMode mode, int height, int width, int threads) =>
        new IntegerSegmentationScorer(new IntegerEngine(package.IntegerModel!, new IntegerEngineOptions { Threads = threads }), height, width);
}

/// <summary>
/// Scores with an <see cref="IntegerEngine"/>, images of a batch in parallel. The engine scores each image on its own,
/// so scores are bit-identical whatever the batch; it is thread-safe, so no lock is needed.
/// </summary>
internal sealed class IntegerSegmentationScorer(IntegerEngine engine, int height, int width) : ISegmentationScorer
{
    public void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground)
    {
        int pixels = count * height * width;
        // The batch API takes Memory (it runs images on several threads), so the span is copied into pooled arrays.
        var input = ArrayPool<float>.Shared.Rent(images.Length);
        var masks = ArrayPool<byte>.Shared.Rent(pixels);
        var scores = ArrayPool<float>.Shared.Rent(pixels);
        try
        {
            images.CopyTo(input);
            engine.PredictBatch(input.AsMemory(0, images.Length), count, height, width, masks.AsMemory(0, pixels), probabilities: scores.AsMemory(0, pixels));
            scores.AsSpan(0, pixels).CopyTo(probabilities);
            for (int i = 0; i < pixels; i++)
                foreground[i] = masks[i] != 0;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(masks);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>The engine holds managed memory only.</summary>
    public void Dispose()
    {
    }
}
