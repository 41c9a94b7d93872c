using QuantUNet.Integer;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.MLNet;

/// <summary>
/// The TorchSharp engine behind <see cref="ScoringMode.FakeQuantized"/> and <see cref="ScoringMode.Float"/>, on the
/// package's TorchSharp state. Found by name by <see cref="ScorerProviders"/> when a loaded model first scores.
/// </summary>
internal sealed class TorchScorerProvider : ISegmentationScorerProvider
{
    public static TorchScorerProvider Instance { get; } = new();

    public IReadOnlyCollection<ScoringMode> Modes { get; } = [ScoringMode.FakeQuantized, ScoringMode.Float];

    public ISegmentationScorer Create(ModelPackage package, ScoringMode mode, int height, int width, int threads)
    {
        var network = ModelFile.Network(package, "the model package");
        // Float scoring of a quantized model runs its float weights with every quantizer off.
        network.Quantize = mode == ScoringMode.FakeQuantized;
        return new TorchSegmentationScorer(network, height, width);
    }
}

/// <summary>
/// Scores with a TorchSharp QuantU-Net. libtorch picks its convolution kernels by tensor shape, so a batch of images
/// comes out a bit different in the last float digit from the same images one at a time; the network therefore runs
/// image by image, and scores are bit-identical whatever the batch (Transform, PredictionEngine, any batch size).
/// One call at a time: TorchSharp modules are not safe for concurrent use. Images whose sides are not multiples of
/// <see cref="ArchitectureOptions.SizeMultiple"/> are padded and their outputs cropped by <see cref="ImagePadding"/>,
/// as the integer engine does.
/// </summary>
internal sealed class TorchSegmentationScorer(QuantUNetModel model, int height, int width) : ISegmentationScorer
{
    private readonly object _gate = new();
    private readonly ImagePadding _padding = ImagePadding.For(height, width, ArchitectureOptions.SizeMultiple);

    public void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground)
    {
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var padded = new float[count * model.Options.InputChannels * _padding.PaddedPixels];
            _padding.Pad(images, padded, model.Options.Normalization);
            var input = tensor(padded, [count, model.Options.InputChannels, _padding.PaddedHeight, _padding.PaddedWidth]);
            var logits = ModelScoring.Logits(model, input, batchSize: 1);
            _padding.Crop<float>(sigmoid(logits).data<float>().ToArray(), probabilities[..(count * _padding.Pixels)]);
            _padding.Crop<bool>(logits.Above(0).data<bool>().ToArray(), foreground[..(count * _padding.Pixels)]);
        }
    }

    public void Dispose() => model.Dispose();
}
