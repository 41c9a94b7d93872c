using QuantUNet.Integer;
using QuantUNet.Torch.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Model;

/// <summary>
/// The QuantU-Net: a 4-level U-Net (8 encoder 3x3 convs, 2 bottleneck convs, 4 transposed-conv
/// upsamplers, 8 decoder 3x3 convs, a final 1x1 conv: 23 weight layers), each quantizing its own
/// input activations and weights with learned bitwidths. Every activation feeds exactly one layer's
/// input quantizer, and a skip concatenation is quantized as one tensor by the next layer, so both of
/// its inputs share one scale. Output: logits [N, 1, H, W]; a pixel is foreground when its logit is &gt; 0.
/// </summary>
public sealed class QuantUNetModel : nn.Module<Tensor, Tensor>
{
    private const int Levels = 4;
    private readonly ModuleDict<QuantizedLayer> layers;
    private readonly QuantizedLayer[] ordered;
    private bool quantize;

    public QuantUNetModel(ArchitectureOptions options) : base(NameOnceValidated(options))
    {
        Options = options;
        var settings = options.Quantization;
        var list = new List<QuantizedLayer>();
        long channels = options.InputChannels, width = options.BaseWidth;
        QuantConv2d Conv3x3(string name, long inputs, long outputs, bool imageInput = false) =>
            new(name, inputs, outputs, 3, settings, imageInput, options.BatchNorm);
        for (int level = 1; level <= Levels; level++, width *= 2)
        {
            list.Add(Conv3x3($"enc{level}_conv1", channels, width, imageInput: level == 1));
            list.Add(Conv3x3($"enc{level}_conv2", width, width));
            channels = width;
        }
        list.Add(Conv3x3("bottleneck_conv1", channels, width));
        list.Add(Conv3x3("bottleneck_conv2", width, width));
        for (int level = Levels; level >= 1; level--, width /= 2)
        {
            list.Add(new QuantConvTranspose2d($"up{level}", width, width / 2, settings));
            list.Add(Conv3x3($"dec{level}_conv1", width, width / 2));
            list.Add(Conv3x3($"dec{level}_conv2", width / 2, width / 2));
        }
        list.Add(new QuantConv2d("final", width, 1, 1, settings));

        ordered = list.ToArray();
        layers = new ModuleDict<QuantizedLayer>();
        foreach (var layer in ordered) layers.Add((layer.GetName(), layer));
        RegisterComponents();
        Quantize = options.Quantize;
    }

    public ArchitectureOptions Options { get; }

    /// <summary>
    /// Validates <paramref name="options"/> before the base constructor makes the native module: a constructor that threw
    /// after it would leave a half-made module whose finalizer crashed the test host at some later garbage collection.
    /// </summary>
    private static string NameOnceValidated(ArchitectureOptions options)
    {
        options.Validate();
        return "QuantUNet";
    }

    /// <summary>The 23 weight layers in datapath order.</summary>
    public IReadOnlyList<QuantizedLayer> Layers => ordered;

    /// <summary>The widest learnable range of a layer's weight width, in bits (max minus min).</summary>
    public int LearnableWeightBitRange => ordered.Max(l => l.WeightQuantizer.Bitwidth.MaxBits - l.WeightQuantizer.Bitwidth.MinBits);

    /// <summary>Switches every quantizer on (QAT) or off (float baseline).</summary>
    public bool Quantize
    {
        get => quantize;
        set
        {
            quantize = value;
            foreach (var layer in ordered) layer.QuantizationEnabled = value;
        }
    }

    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        if (Options.Normalization == PixelNormalization.PerImageMinMax) input = StretchPerImage(input);
        int next = 0;
        // The next layer's unsigned input quantizer clamps at zero, so quantized models need no separate ReLU.
        Tensor Conv(Tensor x) => quantize ? ordered[next++].forward(x) : nn.functional.relu(ordered[next++].forward(x));

        var skips = new Tensor[Levels];
        var h = input;
        for (int level = 0; level < Levels; level++)
        {
            skips[level] = Conv(Conv(h));
            h = nn.functional.max_pool2d(skips[level], 2, 2);
        }
        h = Conv(Conv(h));
        for (int level = Levels - 1; level >= 0; level--)
        {
            var up = Conv(h);
            h = Conv(Conv(cat([skips[level], up], 1)));
        }
        return ordered[next].forward(h);
    }

    /// <summary>Bitwidth offsets and thresholds: the parameters that get their own learning rate.</summary>
    public IEnumerable<Parameter> QuantizerParameters() =>
        ordered.SelectMany(l => l.InputQuantizer.parameters().Concat(l.WeightQuantizer.parameters()));

    /// <summary>Weights and biases, with the BatchNorms' scales and shifts.</summary>
    public IEnumerable<Parameter> WeightParameters() =>
        ordered.SelectMany(l => l.Norm is { } norm ? new[] { l.Weight, l.Bias, norm.weight!, norm.bias! } : new[] { l.Weight, l.Bias });

    /// <summary>Projects bitwidths and thresholds back into their valid ranges; call after each optimiser step.</summary>
    public void ProjectQuantizerParameters()
    {
        foreach (var layer in ordered)
        {
            layer.WeightQuantizer.Bitwidth.Project();
            layer.WeightQuantizer.LearnedThreshold?.Project();
            layer.InputQuantizer.Bitwidth.Project();
            layer.InputQuantizer.LearnedThreshold?.Project();
        }
    }

    /// <summary>Per-layer bitwidths and sizes, as they stand now.</summary>
    public BitwidthSummary Bitwidths() => BitwidthSummary.Of(this);

    /// <summary>The model's input normalisation alone, as the forward pass applies it (export diagnostics replay the layers after it).</summary>
    internal Tensor Normalize(Tensor input) => Options.Normalization == PixelNormalization.PerImageMinMax ? StretchPerImage(input) : input;

    private static Tensor StretchPerImage(Tensor input)
    {
        var low = input.amin([2, 3], keepdim: true);
        var range = input.amax([2, 3], keepdim: true) - low;
        return ((input - low) / range.ClampMin(1e-12)).where(range > 0, 0);
    }

    private void CheckInput(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != Options.InputChannels)
            throw new ArgumentException(
                $"Expected images shaped [N, {Options.InputChannels}, H, W]; got [{string.Join(", ", input.shape)}].");
        if (input.shape[2] % ArchitectureOptions.SizeMultiple != 0 || input.shape[3] % ArchitectureOptions.SizeMultiple != 0)
            throw new ArgumentException(
                $"Image height and width must be multiples of {ArchitectureOptions.SizeMultiple}; got {input.shape[2]}x{input.shape[3]}.");
    }
}
