using System.Buffers;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;

namespace QuantUNet.MLNet;

/// <summary>
/// The pure C# engine behind <see cref="ScoringMode.Integer"/>. Its model travels as <c>.qint</c> bytes
/// (<see cref="IntegerModelFile"/>, checksummed by its own format) under <see cref="BlobKey"/>, exported by the trainer
/// because exporting needs TorchSharp; scoring needs only QuantUNet.Integer, so it lives in this assembly.
/// </summary>
internal sealed class IntegerScorerProvider : ISegmentationScorerProvider
{
    public const string BlobKey = "integer-qint";

    public static IntegerScorerProvider Instance { get; } = new();

    public IReadOnlyCollection<ScoringMode> Modes { get; } = [ScoringMode.Integer];

    /// <summary>Refuses a model that has no integer form, before anything is scored.</summary>
    public static void CheckCanScore(SegmentationModel model)
    {
        if (!model.Description.Summary.Quantized)
            throw new InvalidOperationException("ScoringMode.Integer needs a quantized model; this one is the float baseline, which has no integer form. Score it with ScoringMode.Float.");
        if (!model.Blobs.ContainsKey(BlobKey))
            throw new InvalidOperationException("ScoringMode.Integer needs the integer model exported at training, and this saved QuantU-Net has none "
                + "(the export was refused when it was trained; the training log says why). Score it with ScoringMode.FakeQuantized.");
    }

    public ISegmentationScorer Create(SegmentationModel model, ScoringMode mode)
    {
        CheckCanScore(model);
        var integerModel = IntegerModelFile.Deserialize(model.Blob(BlobKey), $"the integer model in the saved QuantU-Net ({BlobKey})");
        return new IntegerSegmentationScorer(new IntegerEngine(integerModel), model.Description.Height, model.Description.Width);
    }
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
