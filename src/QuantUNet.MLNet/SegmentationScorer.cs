using QuantUNet.Data;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// The one scoring path of a trained QuantU-Net, whichever door a user comes in by: the ML.NET transformer,
/// <c>quantunet evaluate</c>, <c>predict</c>, <c>bench</c> and the demo all score through it, so the same model, image
/// and mode give the same bits. The engine of the mode is found when the scorer is made (TorchSharp needs
/// QuantUNet.MLNet.Training; the integer engine only this assembly). An image's scores never depend on the other images
/// of a call: the integer engine scores each on its own, and TorchSharp runs image by image because libtorch's kernels
/// differ by batch shape in the last bit.
/// </summary>
public sealed class SegmentationScorer : IDisposable
{
    /// <summary>Images read and scored per call when the caller does not choose (the transformer's and the CLI's batch).</summary>
    public const int DefaultBatchSize = 16;

    private readonly ISegmentationScorer _engine;

    private SegmentationScorer(ISegmentationScorer engine, ScoringMode mode, int channels, int height, int width)
    {
        _engine = engine;
        Mode = mode;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>The engine this scorer runs.</summary>
    public ScoringMode Mode { get; }

    /// <summary>Channels of each image, planes of the planar input.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>
    /// The mode a model scores in unless told otherwise: <see cref="ScoringMode.Integer"/> for a quantized model that
    /// carries its integer model (what is deployed: no TorchSharp, the same bits on every machine), else
    /// <see cref="ScoringMode.FakeQuantized"/> for a quantized model and <see cref="ScoringMode.Float"/> for the float baseline.
    /// </summary>
    public static ScoringMode DefaultMode(ModelPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return !package.Description.Quantized ? ScoringMode.Float
            : package.IntegerModel is not null ? ScoringMode.Integer : ScoringMode.FakeQuantized;
    }

    /// <summary>Refuses a mode the package cannot score in, before anything is loaded.</summary>
    /// <exception cref="InvalidOperationException">The message says why and which mode would do.</exception>
    public static void CheckMode(ModelPackage package, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(package);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a scoring mode.");
        if (mode != ScoringMode.Float && !package.Description.Quantized)
            throw new InvalidOperationException($"ScoringMode.{mode} needs a quantized model; this one is the float baseline, which has no integer form. Score it with ScoringMode.Float.");
        if (mode == ScoringMode.Integer && package.IntegerModel is null)
            throw new InvalidOperationException("ScoringMode.Integer needs the integer model exported at training, and this model has none "
                + "(the export was refused when it was trained; the training log says why). Score it with ScoringMode.FakeQuantized.");
        if (mode != ScoringMode.Integer && package.TorchState.IsEmpty)
            throw new InvalidOperationException($"ScoringMode.{mode} needs TorchSharp weights, and this model is an integer model alone. Score it with ScoringMode.Integer.");
    }

    /// <summary>A scorer of <paramref name="package"/> in <paramref name="mode"/> for images of <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="package">The trained model.</param>
    /// <param name="mode">The engine to score with.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="threads">Threads the integer engine may use; 0 for all cores (TorchSharp's are set process-wide).</param>
    /// <exception cref="InvalidOperationException">The package cannot score in the mode (<see cref="CheckMode"/>), or its engine's assembly is missing.</exception>
    public static SegmentationScorer Create(ModelPackage package, ScoringMode mode, int height, int width, int threads = 0)
    {
        CheckMode(package, mode);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var engine = ScorerProviders.For(mode).Create(package, mode, height, width, threads);
        return new SegmentationScorer(engine, mode, package.Description.ImageChannels, height, width);
    }

    /// <summary>Scores <paramref name="count"/> images, planar (CHW) floats in [0, 1], one after another.</summary>
    /// <param name="images">count x channels x height x width values.</param>
    /// <param name="count">Images in <paramref name="images"/>.</param>
    /// <param name="probabilities">count x height x width foreground probabilities.</param>
    /// <param name="foreground">count x height x width decisions: the logit above 0.</param>
    public void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground)
    {
        int pixels = count * Height * Width;
        if (images.Length != count * Channels * Height * Width || probabilities.Length < pixels || foreground.Length < pixels)
            throw new ArgumentException($"{count} images of {Channels}x{Height}x{Width} need {count * Channels * Height * Width} values and {pixels} outputs.");
        _engine.Score(images, count, probabilities, foreground);
    }

    /// <summary>The 0/1 masks [count, H, W] of <paramref name="count"/> images, back to back.</summary>
    public byte[] Masks(ReadOnlySpan<float> images, int count)
    {
        int pixels = count * Height * Width;
        var probabilities = new float[pixels];
        var foreground = new bool[pixels];
        Score(images, count, probabilities, foreground);
        var masks = new byte[pixels];
        for (int i = 0; i < pixels; i++) masks[i] = foreground[i] ? (byte)1 : (byte)0;
        return masks;
    }

    /// <summary>The 0/1 masks of same-size samples, back to back.</summary>
    public byte[] Masks(IReadOnlyList<SegmentationSample> samples) =>
        Masks(samples.SelectMany(s => s.Image).ToArray(), samples.Count);

    /// <summary>
    /// Scores <paramref name="samples"/> (same size as the scorer) <paramref name="batchSize"/> at a time against their
    /// masks, calling <paramref name="scored"/> with each batch's count.
    /// </summary>
    public SegmentationScores Evaluate(IReadOnlyList<SegmentationSample> samples, int batchSize = DefaultBatchSize, Action<int>? scored = null)
    {
        var evaluator = new SegmentationEvaluator();
        foreach (var batch in samples.Chunk(batchSize))
        {
            evaluator.Add(Masks(batch), batch);
            scored?.Invoke(batch.Length);
        }
        return evaluator.GetScores();
    }

    /// <summary>Releases the engine (TorchSharp's native memory).</summary>
    public void Dispose() => _engine.Dispose();
}
