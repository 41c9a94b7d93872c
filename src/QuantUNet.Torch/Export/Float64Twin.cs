using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// A float64 copy of a trained quantized model whose quantizers produce exactly the float32 model's
/// weight and bias codes and whose steps are the float64 T / N the export writes: the reference the
/// integer engine must match bit for bit. In float64 a whole layer's rounding error is about 1e-13 of a
/// step, so it cannot move an activation across a rounding boundary unless it lies that close to one.
/// <para>
/// It is built in float64 rather than converted, because <c>Module.to(dtype)</c> replaces a learned
/// threshold's calibration buffer under it; the default dtype is switched to float64 while its modules
/// are constructed, so no other thread should create TorchSharp tensors of the default type meanwhile.
/// Weights are set to code x step (and the largest, code ±N, to ±max|w| itself, so that a max-abs step
/// comes out unchanged), biases to code x bias step; thresholds and bitwidths are copied as they are.
/// </para>
/// </summary>
public static class Float64Twin
{
    private static readonly object Construction = new();

    /// <summary>A float64 copy of <paramref name="model"/> built as described above, in eval mode (the caller disposes it).</summary>
    /// <param name="model">A QuantU-Net with quantization on.</param>
    public static QuantUNetModel Create(QuantUNetModel model)
    {
        if (!model.Quantize) throw new ArgumentException("The model runs with quantization off (a float baseline); only a quantized model has integer codes.", nameof(model));
        // BatchNorms are folded into the twin's weights, as the integer model stores them.
        var twin = Construct(model.Options with { BatchNorm = false });
        using var _ = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var buffers = model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, target) in twin.named_parameters()) target.copy_(parameters[name]);
        foreach (var (name, target) in twin.named_buffers()) target.copy_(buffers[name]);
        twin.eval();
        foreach (var (source, copy) in model.Layers.Zip(twin.Layers))
        {
            using var scope = NewDisposeScope();
            var quantizer = copy.WeightQuantizer;
            var (sourceWeight, sourceBias) = source.FoldedFloatWeights();
            copy.Weight.copy_(sourceWeight);
            copy.Bias.copy_(sourceBias);
            var codes = source.WeightQuantizer.Integers(sourceWeight).to_type(ScalarType.Float64);
            var weightStep = quantizer.FakeQuantize(copy.Weight).Scale;
            var weights = codes * weightStep;
            if (quantizer.LearnedThreshold is null)
            {
                var extreme = codes.abs().EqualTo(quantizer.Range.Bounds(quantizer.Bitwidth.Current).Max);
                weights = weights.where(extreme.logical_not(), codes.sign() * MaxAbsThreshold.PerChannel(copy.Weight, quantizer.OutputChannelAxis));
            }
            copy.Weight.copy_(weights);
            copy.Bias.copy_(BiasCodes(source).to_type(ScalarType.Float64) * InputStep(copy.InputQuantizer, ScalarType.Float64) * weightStep.flatten());
        }
        return twin;
    }

    /// <summary>
    /// The step of a layer's input codes as its forward pass computes it for inputs of <paramref name="type"/>
    /// (a fixed threshold takes the input's type).
    /// </summary>
    internal static Tensor InputStep(ActivationQuantizer quantizer, ScalarType type)
    {
        using var probe = zeros(1, dtype: type);
        return quantizer.FakeQuantize(probe).Scale;
    }

    /// <summary>The bias codes as the float32 forward pass rounds them: round_half_even(b / (s_in * s_w[c])).</summary>
    internal static Tensor BiasCodes(QuantizedLayer layer)
    {
        var (weight, bias) = layer.FoldedFloatWeights();
        var step = InputStep(layer.InputQuantizer, bias.dtype) * layer.WeightQuantizer.FakeQuantize(weight).Scale.flatten();
        return (bias / step).round();
    }

    private static QuantUNetModel Construct(ArchitectureOptions options)
    {
        lock (Construction)
        {
            var previous = get_default_dtype();
            set_default_dtype(ScalarType.Float64);
            try
            {
                return new QuantUNetModel(options);
            }
            finally
            {
                set_default_dtype(previous);
            }
        }
    }
}
