using QuantUNet.Integer;
using QuantUNet.Integer.Package;
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
    private readonly ModuleDict<QuantizedLayer> layers;
    private readonly QuantizedLayer[] ordered;
    private bool quantize;

    /// <summary>A U-Net of freshly initialised layers (He initialisation) as <paramref name="options"/> describe it.</summary>
    /// <param name="options">Channels, width, depth, BatchNorm, quantization.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names the option.</exception>
    public QuantUNetModel(ArchitectureOptions options) : base(NameOnceValidated(options))
    {
        Options = options;
        Plan = UNetPlan.Of(options);
        ordered = Plan.Nodes.Select((node, index) => Build(node, imageInput: index == 0, options)).ToArray();
        layers = new ModuleDict<QuantizedLayer>();
        foreach (var layer in ordered) layers.Add((layer.GetName(), layer));
        RegisterComponents();
        Quantize = options.Quantize;
    }

    /// <summary>The architecture the model was built from.</summary>
    public ArchitectureOptions Options { get; }

    /// <summary>The wiring the layers were built from and <see cref="forward"/> runs.</summary>
    public UNetPlan Plan { get; }

    /// <summary>A 3x3 convolution has the BatchNorm if the options ask for one; the final 1x1 never does.</summary>
    private static QuantizedLayer Build(UNetPlan.Node node, bool imageInput, ArchitectureOptions options) => node.Kind == LayerKind.ConvTranspose2x2
        ? new QuantConvTranspose2d(node.Name, node.InputChannels, node.OutputChannels, options.Quantization)
        : new QuantConv2d(node.Name, node.InputChannels, node.OutputChannels, node.Kind.KernelSize(), options.Quantization, imageInput,
            batchNorm: options.BatchNorm && node.Kind == LayerKind.Conv3x3);

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

    /// <summary>Logits [N, 1, H, W] of images [N, C, H, W] in [0, 1]; H and W must be multiples of 2 to the number of poolings.</summary>
    /// <param name="input">The images, planar, float32.</param>
    /// <remarks>
    /// Runs in a dispose scope of its own: every intermediate tensor stays referenced until the pass ends, so none is
    /// finalized (freed) while libtorch still reads it when the caller has no scope, and each is freed right after the
    /// pass instead of at some later collection. Autograd keeps what the backward pass needs natively.
    /// </remarks>
    public override Tensor forward(Tensor input)
    {
        CheckInput(input);
        using var scope = NewDisposeScope();
        if (!quantize) return Execute(Normalize(input), Apply).MoveToOuterDisposeScope();
        // The 46 widths in one computation rather than each quantizer its own (QuantizerWidth.Of): same values, same gradients.
        var widths = QuantizerWidth.Of([.. ordered.Select(l => (Quantizer)l.InputQuantizer), .. ordered.Select(l => (Quantizer)l.WeightQuantizer)]);
        return Execute(Normalize(input), (index, x) => ordered[index].Quantized(x, widths[index], widths[ordered.Length + index])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Layer <paramref name="index"/> on its composed input, as the forward pass runs it. The next layer's unsigned
    /// input quantizer clamps at zero, so a quantized model needs no separate ReLU; the float model's layers but the last have one.
    /// </summary>
    internal Tensor Apply(int index, Tensor input)
    {
        var output = ordered[index].forward(input);
        return quantize || index == ordered.Length - 1 ? output : nn.functional.relu(output);
    }

    /// <summary>
    /// Runs <see cref="Plan"/>: composes each layer's input from its producers' outputs (pooled where an edge says so,
    /// concatenated in channel order), hands it to <paramref name="layer"/> and returns the last layer's output.
    /// </summary>
    internal Tensor Execute(Tensor normalizedImage, Func<int, Tensor, Tensor> layer)
    {
        var parts = Plan.Nodes.Select(_ => new List<(int Offset, Tensor Tensor)>()).ToArray();
        parts[0].Add((0, normalizedImage));
        Tensor output = normalizedImage;
        for (int index = 0; index < Plan.Nodes.Count; index++)
        {
            var inputs = parts[index].OrderBy(p => p.Offset).Select(p => p.Tensor).ToList();
            output = layer(index, inputs.Count == 1 ? inputs[0] : cat(inputs, 1));
            foreach (var edge in Plan.Nodes[index].Outputs)
                parts[edge.Target].Add((edge.ChannelOffset, edge.Pooled ? nn.functional.max_pool2d(output, 2, 2) : output));
        }
        return output;
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

    /// <summary>Per-layer bitwidths and sizes, as they stand now; a float model's are <see cref="BitwidthSummary.FloatBits"/>, whatever its unused quantizers hold.</summary>
    public BitwidthSummary Bitwidths() => new([.. ordered.Select(l => new LayerWidths(l.GetName(),
        quantize ? l.WeightQuantizer.Bitwidth.Current : BitwidthSummary.FloatBits, quantize ? l.InputQuantizer.Bitwidth.Current : BitwidthSummary.FloatBits,
        l.Weight.numel(), l.Bias.numel()))]);

    /// <summary>The model's input normalisation alone, as the forward pass applies it.</summary>
    internal Tensor Normalize(Tensor input) => Options.Normalization == PixelNormalization.PerImageMinMax ? StretchPerImage(input) : input;

    private static Tensor StretchPerImage(Tensor input)
    {
        var low = input.amin([2, 3], keepdim: true);
        var range = input.amax([2, 3], keepdim: true).Minus(low);
        using var zero = zeros([], dtype: input.dtype); // a named tensor, held for the call as the Scalars are
        return (input.Minus(low) / range.ClampMin(1e-12)).where(range.Above(0), zero);
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
