using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// A tiny QuantU-Net (width 4) trained a few steps on 32x32 synthetic MRI slices, exported to integers,
/// and a copy with every width from 2 to 8 across its layers; trained once for all tests.
/// </summary>
internal static class TinyModels
{
    public const int Size = 32, Images = 8;
    private static readonly Lazy<(QuantUNetModel Model, IntegerModel Trained, IntegerModel Mixed)> Models = new(Train);
    private static readonly Lazy<byte[]> Slices = new(() =>
        EightBitImages.From(new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(Size), Seed = 21 }).Generate(Images)));

    /// <summary>The trained TorchSharp model (quantized).</summary>
    public static QuantUNetModel Model => Models.Value.Model;

    /// <summary>The trained model's integer export: learned widths.</summary>
    public static IntegerModel Trained => Models.Value.Trained;

    /// <summary>The trained weights at widths 2..8 (weights) and 2..8 (activations) spread over the layers.</summary>
    public static IntegerModel Mixed => Models.Value.Mixed;

    /// <summary><see cref="Images"/> synthetic slices of <see cref="Size"/> x <see cref="Size"/>, 8-bit pixels, back to back.</summary>
    public static byte[] Pixels => Slices.Value;

    /// <summary>The same slices as the [0, 1] floats ONNX models take: p / 255.</summary>
    public static float[] Validation => Pixels.Select(p => p / 255f).ToArray();

    /// <summary>The integer engine's final accumulators for images stored back to back.</summary>
    public static int[] Accumulators(IntegerModel model, float[] images, int count, int height, int width)
    {
        var accumulators = new int[count * height * width];
        new IntegerEngine(model).PredictBatch(images, count, height, width, default, accumulators);
        return accumulators;
    }

    /// <summary>ONNX logits against the engine's accumulators, in accumulator steps.</summary>
    public static IntegerAgreement Agreement(IntegerModel model, float[] logits, float[] images, int count, int height, int width)
    {
        using var values = tensor(logits);
        return IntegerAgreement.Of(Accumulators(model, images, count, height, width), values, model.ScoreScale);
    }

    private static (QuantUNetModel, IntegerModel, IntegerModel) Train()
    {
        // Pinned to a plain recipe with activation widths free down to 2 bits, so that the mixed copy below can hold every
        // width from 2 to 8; BatchNorm plays no part here (it is folded into the integer model the exports start from).
        // 32 steps, so the widths move at QuantizerLearningRate itself (TrainingOptions.BitwidthLearningRate): in fewer,
        // they would race to 2 bits and leave a model whose logits are exact ties at many pixels.
        var options = new TrainingOptions
        {
            Epochs = 8, BatchSize = 8, QuantizerLearningRate = 0.2, Seed = 3, Threads = 2,
            Augmentation = AugmentationKind.Flips, LearningRateSchedule = LearningRateScheduleKind.Constant, FrozenWidthFraction = 0,
        };
        var architecture = new ArchitectureOptions
        {
            BaseWidth = 4, BatchNorm = false,
            Quantization = new() { ActivationBits = new(Min: 2), ImageBits = new(Min: 2) },
        };
        var samples = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(Size), Seed = 5 }).Generate(32);
        var model = SegmentationTrainer.Train(SegmentationTrainer.CreateModel(architecture, options.Seed), samples, null, options).Model;
        model.eval();
        var trained = IntegerExporter.Export(model);
        SetWidths(model, layer => 2 + layer % 7, layer => 2 + (3 * layer + 1) % 7);
        var mixed = IntegerExporter.Export(model);
        SetWidths(model, layer => trained.Layers[layer].WeightBits, layer => trained.Layers[layer].ActivationBits);
        return (model, trained, mixed);
    }

    private static void SetWidths(QuantUNetModel model, Func<int, int> weightBits, Func<int, int> activationBits)
    {
        using var _ = no_grad();
        foreach (var (layer, i) in model.Layers.Select((l, i) => (l, i)))
        {
            // Scalars held for their calls: an unheld one may be freed while libtorch reads it (ImplicitScalarScan).
            using Scalar weight = (weightBits(i) - layer.WeightQuantizer.Bitwidth.MinBits).ToScalar(),
                activation = (activationBits(i) - layer.InputQuantizer.Bitwidth.MinBits).ToScalar();
            layer.WeightQuantizer.Bitwidth.Offset.fill_(weight);
            layer.InputQuantizer.Bitwidth.Offset.fill_(activation);
        }
    }
}
