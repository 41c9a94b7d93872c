using QuantUNet.Integer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A weight layer of the integer datapath: it quantizes its own input (unsigned, learned bits),
/// its weights (signed narrow, per output channel, learned bits) and its bias (int32 at the step
/// s_in * s_w, so the accumulator needs no rescale), then runs the float op on the dequantized values.
/// With quantization off the same layer is the float baseline.
/// <para>
/// A layer may end in a BatchNorm. The float baseline runs it as usual (batch statistics in training,
/// running statistics in eval). With quantization on, the BatchNorm is folded into the weights and bias
/// with its running statistics before they are quantized (<see cref="FoldedFloatWeights"/>; Jacob et al.
/// 2018), so what is quantized is exactly what the integer model stores, and QAT leaves the running
/// statistics as the float phase left them while it trains the BatchNorm's scale and shift through the fold.
/// </para>
/// </summary>
public abstract class QuantizedLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ActivationQuantizer inputQuantizer;
    private readonly WeightQuantizer weightQuantizer;
    private readonly BatchNorm2d? norm;

    /// <summary>A layer with He-initialised weights, zero biases and its quantizers.</summary>
    /// <param name="name">The layer's name (e.g. "enc1_conv1").</param>
    /// <param name="weightShape">The weight tensor's shape.</param>
    /// <param name="outputChannelAxis">The axis of <paramref name="weightShape"/> that counts output channels.</param>
    /// <param name="settings">The quantizers' settings.</param>
    /// <param name="imageInput">True for the first layer: its input is the image (threshold fixed at 1.0, image bit range).</param>
    /// <param name="batchNorm">Whether a BatchNorm follows the operation; default false.</param>
    protected QuantizedLayer(string name, long[] weightShape, int outputChannelAxis, QuantizationOptions settings, bool imageInput, bool batchNorm = false)
        : base(name)
    {
        long outputs = weightShape[outputChannelAxis];
        long fanIn = weightShape.Aggregate(1L, (a, b) => a * b) / outputs;
        // He initialisation for the ReLU network; the draw is held until the product is made (see ScalarArguments).
        using var standardNormal = randn(weightShape);
        weight = nn.Parameter(standardNormal.Times(Math.Sqrt(2.0 / fanIn)));
        bias = nn.Parameter(zeros(outputs));
        inputQuantizer = new ActivationQuantizer("input_quant",
            imageInput ? settings.ImageBits : settings.ActivationBits,
            imageInput ? new ActivationThresholdOptions(Fixed: 1.0) : settings.ActivationThreshold);
        weightQuantizer = new WeightQuantizer("weight_quant", weightShape, outputChannelAxis, settings.WeightBits, settings.WeightScaling);
        if (batchNorm) norm = nn.BatchNorm2d(outputs);
        RegisterComponents();
    }

    /// <summary>False runs the float baseline: no quantizer is applied.</summary>
    public bool QuantizationEnabled { get; set; } = true;

    /// <summary>The float weights, before any BatchNorm fold.</summary>
    public Parameter Weight => weight;
    /// <summary>The float biases, one per output channel, before any BatchNorm fold.</summary>
    public Parameter Bias => bias;
    /// <summary>Quantizes the layer's input.</summary>
    public ActivationQuantizer InputQuantizer => inputQuantizer;
    /// <summary>Quantizes the layer's (folded) weights.</summary>
    public WeightQuantizer WeightQuantizer => weightQuantizer;

    /// <summary>The BatchNorm after the operation, or null.</summary>
    public BatchNorm2d? Norm => norm;

    /// <summary>The operation, as the integer model names it.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>Weights and biases: what a float32 model stores.</summary>
    public long ParameterCount => weight.numel() + bias.numel();

    /// <summary>The layer's output: fake-quantized input, weights and bias through the float operation, or the float layer when quantization is off.</summary>
    /// <param name="x">The input, [N, C, H, W].</param>
    /// <remarks>In a dispose scope of its own, as <c>QuantUNetModel.forward</c>: a caller may run one layer alone.</remarks>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (!QuantizationEnabled) return (norm is null ? Apply(x, weight, bias) : norm.forward(Apply(x, weight, bias))).MoveToOuterDisposeScope();
        return Quantized(x, QuantizerWidth.Of(inputQuantizer), QuantizerWidth.Of(weightQuantizer)).MoveToOuterDisposeScope();
    }

    /// <summary>The quantized layer's output at its quantizers' widths computed beforehand, as the model's forward pass runs it.</summary>
    internal Tensor Quantized(Tensor x, QuantizerWidth inputWidth, QuantizerWidth weightWidth)
    {
        using var scope = NewDisposeScope();
        var (input, inputScale) = inputQuantizer.FakeQuantize(x, inputWidth);
        var gain = FoldGain();
        var foldedBias = gain is null ? bias : FoldedBias(gain);
        var (quantizedWeight, weightScale) = weightQuantizer.FakeQuantize(weight, gain, weightWidth);
        var biasScale = inputScale * weightScale.flatten();
        var quantizedBias = IntQuant.RoundSte(foldedBias / biasScale) * biasScale;
        return Apply(input, quantizedWeight, quantizedBias).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The weight and bias of the operation with the BatchNorm, if any, folded in with its running statistics:
    /// w[c] * g[c] and beta[c] + (b[c] - mean[c]) * g[c], where g = gamma / sqrt(var + eps), in float32 as the
    /// fake-quant forward pass computes them. Without a BatchNorm, the weight and bias themselves. What the
    /// quantizers see, what the integer model stores, and in eval mode the float layer's function.
    /// </summary>
    public (Tensor Weight, Tensor Bias) FoldedFloatWeights()
    {
        var gain = FoldGain();
        if (gain is null) return (weight, bias);
        return (weight * gain.reshape(weightQuantizer.ChannelShape(weight.dim())), FoldedBias(gain));
    }

    /// <summary>The fold's per-channel gain g = gamma / sqrt(var + eps), shape [C]; null without a BatchNorm.</summary>
    internal Tensor? FoldGain() => norm is null ? null : norm.weight! / norm.running_var!.Plus(norm.eps).sqrt();

    /// <summary>The folded bias beta + (b - mean) g.</summary>
    private Tensor FoldedBias(Tensor gain) => norm!.bias!.Plus(bias.Minus(norm.running_mean!) * gain);

    /// <summary>The float operation itself.</summary>
    protected abstract Tensor Apply(Tensor input, Tensor weight, Tensor bias);
}

/// <summary>A quantized 2-D convolution, stride 1, "same" padding.</summary>
public sealed class QuantConv2d : QuantizedLayer
{
    /// <summary>A convolution of <paramref name="kernelSize"/> x <paramref name="kernelSize"/> from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels.</summary>
    /// <param name="name">The layer's name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">3 for the U-Net's convolutions, 1 for the output layer.</param>
    /// <param name="settings">The quantizers' settings.</param>
    /// <param name="imageInput">True for the first layer.</param>
    /// <param name="batchNorm">Whether a BatchNorm follows.</param>
    public QuantConv2d(string name, long inChannels, long outChannels, int kernelSize, QuantizationOptions settings, bool imageInput = false, bool batchNorm = false)
        : base(name, [outChannels, inChannels, kernelSize, kernelSize], 0, settings, imageInput, batchNorm)
    {
        KernelSize = kernelSize;
    }

    /// <summary>Kernel height and width in pixels.</summary>
    public int KernelSize { get; }
    /// <inheritdoc/>
    public override LayerKind Kind => KernelSize == 1 ? LayerKind.Conv1x1 : LayerKind.Conv3x3;

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input, Tensor weight, Tensor bias) =>
        nn.functional.conv2d(input, weight, bias, padding: [KernelSize / 2, KernelSize / 2]);
}

/// <summary>A quantized 2x2, stride-2 transposed convolution: the U-Net's learned upsampler.</summary>
public sealed class QuantConvTranspose2d : QuantizedLayer
{
    /// <summary>An upsampler from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, doubling height and width.</summary>
    /// <param name="name">The layer's name.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="settings">The quantizers' settings.</param>
    public QuantConvTranspose2d(string name, long inChannels, long outChannels, QuantizationOptions settings)
        : base(name, [inChannels, outChannels, 2, 2], 1, settings, imageInput: false)
    {
    }

    /// <inheritdoc/>
    public override LayerKind Kind => LayerKind.ConvTranspose2x2;

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input, Tensor weight, Tensor bias) =>
        nn.functional.conv_transpose2d(input, weight, bias, strides: [2, 2]);
}
