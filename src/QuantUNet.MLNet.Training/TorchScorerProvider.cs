using Microsoft.ML.Runtime;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.MLNet;

/// <summary>
/// The TorchSharp engine behind <see cref="ScoringMode.FakeQuantized"/> and <see cref="ScoringMode.Float"/>. Its weights
/// travel as a QuantUNet.Torch <see cref="ModelFile"/> (architecture, metadata, TorchSharp state, SHA-256) under
/// <see cref="BlobKey"/>. Found by name by <see cref="ScorerProviders"/> when a saved model first scores.
/// </summary>
internal sealed class TorchScorerProvider : ISegmentationScorerProvider
{
    public const string BlobKey = "torchsharp-modelfile";

    public static TorchScorerProvider Instance { get; } = new();

    public IReadOnlyCollection<ScoringMode> Modes { get; } = [ScoringMode.FakeQuantized, ScoringMode.Float];

    public ISegmentationScorer Create(SegmentationModel model, ScoringMode mode)
    {
        var network = Deserialize(model.Blob(BlobKey));
        if (mode == ScoringMode.FakeQuantized && !network.Options.Quantize)
        {
            network.Dispose();
            throw new InvalidOperationException("ScoringMode.FakeQuantized needs a quantized model; this one is the float baseline.");
        }
        // Float scoring of a quantized model runs its float weights with every quantizer off.
        network.Quantize = mode == ScoringMode.FakeQuantized;
        return new TorchSegmentationScorer(network, model.Description.Height, model.Description.Width);
    }

    /// <summary>The model's learned widths; a float model's layers are reported at 32 bits.</summary>
    public static QuantUNetModelSummary Summarize(QuantUNetModel model)
    {
        var layers = model.Bitwidths().Layers.Select(l => new QuantUNetLayer(l.Name, l.WeightBits, l.ActivationBits, l.WeightCount, l.BiasCount));
        return new QuantUNetModelSummary(model.Quantize, model.Options.BaseWidth, [.. layers]);
    }

    /// <summary>
    /// The quantized model exported for <see cref="ScoringMode.Integer"/>, as <c>.qint</c> bytes; null, with a warning
    /// on <paramref name="channel"/>, when the export refuses it (an accumulator that could overflow): the model still
    /// scores in the TorchSharp modes, so hours of training are not thrown away for a mode that may never be used.
    /// </summary>
    public static byte[]? ExportInteger(QuantUNetModel model, ModelMetadata metadata, ImageShape shape, IChannel channel)
    {
        try
        {
            var integerModel = IntegerExporter.Export(model, metadata, source: "QuantUNet.MLNet trainer", new ImageSize(shape.Height, shape.Width));
            return IntegerModelFile.Serialize(integerModel);
        }
        catch (InvalidDataException e)
        {
            channel.Warning(MessageSensitivity.None, $"QuantU-Net: no integer model, so ScoringMode.Integer is not available: {e.Message}");
            return null;
        }
    }

    /// <summary>The model as <see cref="ModelFile"/> bytes (ModelFile reads and writes files, hence the temporary one).</summary>
    public static byte[] Serialize(QuantUNetModel model, ModelMetadata metadata)
    {
        string path = TemporaryPath();
        try
        {
            ModelFile.Save(model, path, metadata);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static QuantUNetModel Deserialize(byte[] bytes)
    {
        string path = TemporaryPath();
        try
        {
            File.WriteAllBytes(path, bytes);
            return ModelFile.Load(path).Model;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string TemporaryPath() => Path.Combine(Path.GetTempPath(), $"quantunet-{Guid.NewGuid():N}.qunet");
}

/// <summary>
/// Scores with a TorchSharp QuantU-Net. libtorch picks its convolution kernels by tensor shape, so a batch of images
/// comes out a bit different in the last float digit from the same images one at a time; the network therefore runs
/// image by image, and scores are bit-identical whatever the batch (Transform, PredictionEngine, any batch size).
/// One call at a time: TorchSharp modules are not safe for concurrent use.
/// </summary>
internal sealed class TorchSegmentationScorer(QuantUNetModel model, int height, int width) : ISegmentationScorer
{
    private readonly object _gate = new();

    public void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground)
    {
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var input = tensor(images.ToArray(), [count, model.Options.InputChannels, height, width]);
            var logits = ModelScoring.Logits(model, input, batchSize: 1);
            sigmoid(logits).data<float>().ToArray().CopyTo(probabilities);
            (logits > 0).data<bool>().ToArray().CopyTo(foreground);
        }
    }

    public void Dispose() => model.Dispose();
}
