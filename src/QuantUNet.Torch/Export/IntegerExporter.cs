using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// Turns a trained quantized <see cref="QuantUNetModel"/> into an <see cref="IntegerModel"/>: per layer,
/// the weight codes of <see cref="Quantizer.Integers"/> (of the weights with any BatchNorm folded in, as QAT quantizes them), the int32 bias codes the float32 forward pass
/// rounds to, the steps T / N in float64 (<see cref="Quantizer.Float64Steps"/>), and for every consumer of the layer's
/// output (two for an encoder layer: the pooled path and the skip) the multipliers
/// M[c] = s_in * s_w[c] / s_consumer. The model checks every accumulator's worst case against int32
/// and refuses the export, naming the layer, if one could overflow.
/// </summary>
public static class IntegerExporter
{
    /// <param name="source">Where the model came from, kept in the file's metadata.</param>
    /// <param name="nominalSize">The image size the model was trained at, if known.</param>
    /// <exception cref="ArgumentException">The model is a float baseline.</exception>
    /// <exception cref="InvalidDataException">A bias does not fit int32, or an accumulator could overflow.</exception>
    /// <summary>The integer model of <paramref name="model"/>, as described above.</summary>
    /// <param name="model">A trained QuantU-Net with quantization on.</param>
    /// <param name="training">How it was trained, kept in the metadata; null for none.</param>
    public static IntegerModel Export(QuantUNetModel model, TrainingRecord? training = null, string source = "", ImageSize? nominalSize = null)
    {
        if (!model.Quantize) throw new ArgumentException("The model runs with quantization off (a float baseline); only a quantized model has integer codes.", nameof(model));
        bool wasTraining = model.training;
        model.eval(); // finding a threshold in training mode would calibrate it
        try
        {
            using var _ = no_grad();
            using var probe = zeros(1);
            var inputSteps = model.Layers.Select(l => l.InputQuantizer.Float64Steps(probe)[0]).ToList();
            var layers = model.Layers.Select((layer, index) =>
            {
                using var scope = NewDisposeScope();
                var (weight, _) = layer.FoldedFloatWeights();
                var weightSteps = layer.WeightQuantizer.Float64Steps(weight);
                return new IntegerLayer
                {
                    Name = layer.GetName(),
                    Kind = layer.Kind,
                    InputChannels = (int)layer.Weight.shape[1 - layer.WeightQuantizer.OutputChannelAxis],
                    OutputChannels = weightSteps.Length,
                    WeightBits = layer.WeightQuantizer.Bitwidth.Current,
                    ActivationBits = layer.InputQuantizer.Bitwidth.Current,
                    InputScale = inputSteps[index],
                    WeightScales = weightSteps,
                    Weights = WeightCodes(layer),
                    Biases = BiasCodes(layer),
                    Outputs = model.Plan.Nodes[index].Outputs.Select(edge => new LayerOutput(edge.Target, edge.ChannelOffset, edge.Pooled,
                        weightSteps.Select(s => FixedPointMultiplier.FromScales(inputSteps[index], s, inputSteps[edge.Target])).ToArray())).ToList(),
                };
            }).ToList();
            var header = new IntegerModelHeader(model.Options.InputChannels, model.Options.Normalization,
                nominalSize?.Height ?? 0, nominalSize?.Width ?? 0);
            return new IntegerModel(header, layers, Metadata(training, source));
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>[out][in][kh][kw]: a transposed convolution's [in][out][kh][kw] is swapped.</summary>
    private static sbyte[] WeightCodes(QuantizedLayer layer)
    {
        using var scope = NewDisposeScope();
        var codes = layer.WeightQuantizer.Integers(layer.FoldedFloatWeights().Weight);
        if (layer.WeightQuantizer.OutputChannelAxis == 1) codes = codes.permute(1, 0, 2, 3);
        return codes.contiguous().to_type(ScalarType.Int8).data<sbyte>().ToArray();
    }

    private static int[] BiasCodes(QuantizedLayer layer)
    {
        using var scope = NewDisposeScope();
        var codes = Float64Twin.BiasCodes(layer).to_type(ScalarType.Float64).data<double>().ToArray();
        int bad = Array.FindIndex(codes, c => c is < int.MinValue or > int.MaxValue);
        if (bad >= 0)
            throw new InvalidDataException($"layer {layer.GetName()}: the bias of output channel {bad} is {codes[bad]:R} accumulator steps, outside int32; the model could overflow.");
        return codes.Select(c => (int)c).ToArray();
    }

    private static IntegerModelMetadata Metadata(TrainingRecord? training, string source) =>
        new IntegerModelMetadata { ExportedUtc = DateTime.UtcNow, Source = source }.WithTraining(training);
}
