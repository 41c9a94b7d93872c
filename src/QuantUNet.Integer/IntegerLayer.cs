namespace QuantUNet.Integer;

/// <summary>
/// One weight layer of the integer datapath: b_w-bit signed weights, int32 biases at the step
/// s_in * s_w[c], the step of its own b_a-bit unsigned input codes, and where its accumulators go.
/// </summary>
public sealed class IntegerLayer
{
    /// <summary>The layer's name in the U-Net, as the TorchSharp model and the descriptions call it (e.g. "enc1_conv1").</summary>
    public required string Name { get; init; }
    /// <summary>The operation: 3x3 convolution, 2x2 transposed convolution or 1x1 output convolution.</summary>
    public required LayerKind Kind { get; init; }
    /// <summary>Channels this layer reads.</summary>
    public required int InputChannels { get; init; }
    /// <summary>Channels this layer writes: one accumulator per channel and pixel.</summary>
    public required int OutputChannels { get; init; }

    /// <summary>Width of the signed narrow-range weight codes, 2..8.</summary>
    public required int WeightBits { get; init; }

    /// <summary>Width of the unsigned input codes this layer multiplies, 1..8.</summary>
    public required int ActivationBits { get; init; }

    /// <summary>The step of the input codes (informative: the datapath uses the multipliers).</summary>
    public required double InputScale { get; init; }

    /// <summary>The step of each output channel's weight codes (informative, and the final layer's score scale).</summary>
    public required double[] WeightScales { get; init; }

    /// <summary>Weight codes, [output][input][kernel row][kernel column] for every kind.</summary>
    public required sbyte[] Weights { get; init; }

    /// <summary>Bias of each output channel, in accumulator units (s_in * s_w[c]).</summary>
    public required int[] Biases { get; init; }

    /// <summary>Consumers of the accumulators; empty for the final layer, whose accumulators are the logits.</summary>
    public IReadOnlyList<LayerOutput> Outputs { get; init; } = [];

    /// <summary>Kernel height and width in pixels: 3, 2 or 1 by <see cref="Kind"/>.</summary>
    public int KernelSize => Kind.KernelSize();
    /// <summary>Number of weight codes: output x input channels x kernel size squared.</summary>
    public int WeightCount => OutputChannels * InputChannels * KernelSize * KernelSize;
    /// <summary>Largest input code, 2^<see cref="ActivationBits"/> - 1.</summary>
    public int MaxActivation => (1 << ActivationBits) - 1;
    /// <summary>Largest weight magnitude, 2^(<see cref="WeightBits"/> - 1) - 1 (narrow range: codes lie in [-MaxWeight, MaxWeight]).</summary>
    public int MaxWeight => (1 << (WeightBits - 1)) - 1;

    /// <summary>The weight of an output channel, input channel and kernel position.</summary>
    public sbyte Weight(int output, int input, int row, int column) =>
        Weights[((output * InputChannels + input) * KernelSize + row) * KernelSize + column];
}
