using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A weight layer of the integer datapath: it quantizes its own input (unsigned, learned bits),
/// its weights (signed narrow, per output channel, learned bits) and its bias (int32 at the step
/// s_in * s_w, so the accumulator needs no rescale), then runs the float op on the dequantized values.
/// With quantization off the same layer is the float baseline.
/// </summary>
public abstract class QuantizedLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ActivationQuantizer inputQuantizer;
    private readonly WeightQuantizer weightQuantizer;

    protected QuantizedLayer(string name, long[] weightShape, int outputChannelAxis, QuantizationSettings settings, bool imageInput)
        : base(name)
    {
        long outputs = weightShape[outputChannelAxis];
        long fanIn = weightShape.Aggregate(1L, (a, b) => a * b) / outputs;
        // He initialisation for the ReLU network.
        weight = nn.Parameter(randn(weightShape) * Math.Sqrt(2.0 / fanIn));
        bias = nn.Parameter(zeros(outputs));
        inputQuantizer = new ActivationQuantizer("input_quant",
            imageInput ? settings.ImageBits : settings.ActivationBits,
            imageInput ? new ActivationThresholdSettings(Fixed: 1.0) : settings.ActivationThreshold);
        weightQuantizer = new WeightQuantizer("weight_quant", weightShape, outputChannelAxis, settings.WeightBits, settings.WeightScaling);
        RegisterComponents();
    }

    /// <summary>False runs the float baseline: no quantizer is applied.</summary>
    public bool QuantizationEnabled { get; set; } = true;

    public Parameter Weight => weight;
    public Parameter Bias => bias;
    public ActivationQuantizer InputQuantizer => inputQuantizer;
    public WeightQuantizer WeightQuantizer => weightQuantizer;
    public abstract LayerKind Kind { get; }

    /// <summary>Weights and biases: what a float32 model stores.</summary>
    public long ParameterCount => weight.numel() + bias.numel();

    public override Tensor forward(Tensor x)
    {
        if (!QuantizationEnabled) return Apply(x, weight, bias);
        var (input, inputScale) = inputQuantizer.FakeQuantize(x);
        var (quantizedWeight, weightScale) = weightQuantizer.FakeQuantize(weight);
        var biasScale = inputScale * weightScale.flatten();
        var quantizedBias = IntQuant.RoundSte(bias / biasScale) * biasScale;
        return Apply(input, quantizedWeight, quantizedBias);
    }

    /// <summary>The float operation itself.</summary>
    protected abstract Tensor Apply(Tensor input, Tensor weight, Tensor bias);
}

/// <summary>The three kinds of weight layer a U-Net has.</summary>
public enum LayerKind
{
    Conv3x3,
    ConvTranspose2x2,
    Conv1x1,
}

/// <summary>A quantized 2-D convolution, stride 1, "same" padding.</summary>
public sealed class QuantConv2d : QuantizedLayer
{
    public QuantConv2d(string name, long inChannels, long outChannels, int kernelSize, QuantizationSettings settings, bool imageInput = false)
        : base(name, [outChannels, inChannels, kernelSize, kernelSize], 0, settings, imageInput)
    {
        KernelSize = kernelSize;
    }

    public int KernelSize { get; }
    public override LayerKind Kind => KernelSize == 1 ? LayerKind.Conv1x1 : LayerKind.Conv3x3;

    protected override Tensor Apply(Tensor input, Tensor weight, Tensor bias) =>
        nn.functional.conv2d(input, weight, bias, padding: [KernelSize / 2, KernelSize / 2]);
}

/// <summary>A quantized 2x2, stride-2 transposed convolution: the U-Net's learned upsampler.</summary>
public sealed class QuantConvTranspose2d : QuantizedLayer
{
    public QuantConvTranspose2d(string name, long inChannels, long outChannels, QuantizationSettings settings)
        : base(name, [inChannels, outChannels, 2, 2], 1, settings, imageInput: false)
    {
    }

    public override LayerKind Kind => LayerKind.ConvTranspose2x2;

    protected override Tensor Apply(Tensor input, Tensor weight, Tensor bias) =>
        nn.functional.conv_transpose2d(input, weight, bias, strides: [2, 2]);
}
