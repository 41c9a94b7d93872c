using QuantUNet.Integer.Package;

namespace QuantUNet.Integer;

/// <summary>
/// An exported QuantU-Net as integers: every layer's weight codes, int32 biases and requantisation
/// multipliers, wired as a graph (each layer lists the layers its accumulators feed). The constructor
/// checks that the graph is a consistent encoder-decoder and that no accumulator can overflow int32,
/// so an engine never sees a model it cannot run exactly.
/// </summary>
public sealed class IntegerModel
{
    /// <summary>Levels of pooling a model may have (each halves the image).</summary>
    public const int MaxLevels = 16;

    private readonly int[] inputLevels;

    /// <exception cref="InvalidDataException">The layers do not form a model the engine can run exactly.</exception>
    public IntegerModel(IntegerModelHeader header, IReadOnlyList<IntegerLayer> layers, IntegerModelMetadata? metadata = null)
    {
        Header = header;
        Layers = layers.ToArray();
        Metadata = metadata ?? new IntegerModelMetadata();
        foreach (var (layer, index) in Layers.Select((l, i) => (l, i))) CheckLayer(layer, index);
        CheckWiring();
        inputLevels = ResolutionLevels();
        SizeMultiple = 1 << inputLevels.Max();
        CheckAccumulators();
    }

    /// <summary>The input: channels, pixel normalisation and the image size trained at (0 when not recorded).</summary>
    public IntegerModelHeader Header { get; }
    /// <summary>The weight layers in datapath order; the last one writes the logits.</summary>
    public IReadOnlyList<IntegerLayer> Layers { get; }
    /// <summary>Where the model came from (training record, source); never used to score.</summary>
    public IntegerModelMetadata Metadata { get; }

    /// <summary>Image height and width must be multiples of this (2 to the number of poolings).</summary>
    public int SizeMultiple { get; }

    /// <summary>The width of the image codes (the first layer's input bits).</summary>
    public int InputBits => Layers[0].ActivationBits;

    /// <summary>The final layer: one channel whose accumulator is the logit in units of <see cref="ScoreScale"/>.</summary>
    public IntegerLayer OutputLayer => Layers[^1];

    /// <summary>logit = accumulator * ScoreScale; the mask is accumulator &gt; 0 and needs no scale.</summary>
    public double ScoreScale => OutputLayer.InputScale * OutputLayer.WeightScales[0];

    /// <summary>The layers' widths and sizes (biases count as int32, as everywhere a size is reported).</summary>
    public BitwidthSummary Bitwidths => new([.. Layers.Select(l => new LayerWidths(l.Name, l.WeightBits, l.ActivationBits, l.WeightCount, l.OutputChannels))]);

    /// <summary>For each layer, how many times its input grid is halved against the image, as a power of two.</summary>
    internal int InputLevel(int layer) => inputLevels[layer];

    private static InvalidDataException Invalid(IntegerLayer layer, string problem) => new($"layer {layer.Name}: {problem}");

    private void CheckLayer(IntegerLayer layer, int index)
    {
        if (string.IsNullOrEmpty(layer.Name)) throw new InvalidDataException($"layer {index} has no name.");
        if (!Enum.IsDefined(layer.Kind)) throw Invalid(layer, $"unknown kind {(int)layer.Kind}.");
        if (layer.InputChannels < 1 || layer.OutputChannels < 1) throw Invalid(layer, $"{layer.InputChannels} input and {layer.OutputChannels} output channels.");
        if (!BitwidthBounds.Weight.Contains(layer.WeightBits)) throw Invalid(layer, $"weight width {layer.WeightBits} bits is outside {BitwidthBounds.Weight}.");
        if (!BitwidthBounds.Activation.Contains(layer.ActivationBits)) throw Invalid(layer, $"activation width {layer.ActivationBits} bits is outside {BitwidthBounds.Activation}.");
        if (layer.Weights.Length != layer.WeightCount) throw Invalid(layer, $"{layer.Weights.Length} weights, expected {layer.WeightCount}.");
        if (layer.Biases.Length != layer.OutputChannels) throw Invalid(layer, $"{layer.Biases.Length} biases for {layer.OutputChannels} output channels.");
        if (layer.WeightScales.Length != layer.OutputChannels) throw Invalid(layer, $"{layer.WeightScales.Length} weight scales for {layer.OutputChannels} output channels.");
        if (!double.IsFinite(layer.InputScale) || layer.InputScale <= 0 || layer.WeightScales.Any(s => !double.IsFinite(s) || s <= 0))
            throw Invalid(layer, "scales must be positive and finite.");
        int bad = Array.FindIndex(layer.Weights, w => Math.Abs((int)w) > layer.MaxWeight);
        if (bad >= 0) throw Invalid(layer, $"weight code {layer.Weights[bad]} is outside the {layer.WeightBits}-bit range ±{layer.MaxWeight}.");
        if (index == 0 && layer.InputChannels != Header.InputChannels)
            throw Invalid(layer, $"takes {layer.InputChannels} channels but the image has {Header.InputChannels}.");
        bool last = index == Layers.Count - 1;
        if (last && (layer.Outputs.Count != 0 || layer.OutputChannels != 1 || layer.Kind == LayerKind.ConvTranspose2x2))
            throw Invalid(layer, "the final layer must be a convolution with one output channel and no consumers.");
        if (!last && layer.Outputs.Count == 0) throw Invalid(layer, "its output goes nowhere.");
        foreach (var output in layer.Outputs)
        {
            if (output.Target <= index || output.Target >= Layers.Count)
                throw Invalid(layer, $"feeds layer {output.Target}; a layer may only feed a later one.");
            var target = Layers[output.Target];
            if (output.ChannelOffset < 0 || output.ChannelOffset + layer.OutputChannels > target.InputChannels)
                throw Invalid(layer, $"its {layer.OutputChannels} channels at offset {output.ChannelOffset} do not fit the {target.InputChannels} inputs of {target.Name}.");
            if (output.Pooled && layer.Kind == LayerKind.ConvTranspose2x2)
                throw Invalid(layer, "an upsampler's output cannot be pooled.");
            if (output.Multipliers.Count != layer.OutputChannels)
                throw Invalid(layer, $"{output.Multipliers.Count} multipliers towards {target.Name} for {layer.OutputChannels} channels.");
        }
    }

    /// <summary>Every input channel of every layer after the first is written by exactly one producer.</summary>
    private void CheckWiring()
    {
        var sources = Layers.Select(_ => new List<(int Offset, int Count, string Name)>()).ToArray();
        foreach (var layer in Layers)
            foreach (var output in layer.Outputs)
                sources[output.Target].Add((output.ChannelOffset, layer.OutputChannels, layer.Name));
        for (int index = 1; index < Layers.Count; index++)
        {
            int next = 0;
            foreach (var (offset, count, name) in sources[index].OrderBy(s => s.Offset))
            {
                if (offset != next) throw Invalid(Layers[index], $"input channels {next}.. are {(offset < next ? "written twice" : "never written")} (next source: {name} at {offset}).");
                next = offset + count;
            }
            if (next != Layers[index].InputChannels)
                throw Invalid(Layers[index], $"only {next} of its {Layers[index].InputChannels} input channels are written.");
        }
    }

    /// <summary>Propagates grid sizes through the graph; every producer of a layer must agree on its size.</summary>
    private int[] ResolutionLevels()
    {
        var levels = Enumerable.Repeat(-1, Layers.Count).ToArray();
        levels[0] = 0;
        for (int index = 0; index < Layers.Count; index++)
        {
            var layer = Layers[index];
            int outputLevel = levels[index] - layer.Kind.UpsamplingLevels();
            if (outputLevel < 0) throw Invalid(layer, "upsamples beyond the image's resolution.");
            foreach (var output in layer.Outputs)
            {
                int level = outputLevel + (output.Pooled ? 1 : 0);
                if (level > MaxLevels) throw Invalid(layer, $"more than {MaxLevels} poolings.");
                int known = levels[output.Target];
                if (known >= 0 && known != level)
                    throw Invalid(Layers[output.Target], "its inputs arrive at different resolutions.");
                levels[output.Target] = level;
            }
        }
        if (levels[^1] - OutputLayer.Kind.UpsamplingLevels() != 0) throw Invalid(OutputLayer, "its output is not at the image's resolution.");
        return levels;
    }

    private void CheckAccumulators()
    {
        foreach (var layer in Layers)
        {
            var ranges = AccumulatorRange.Of(layer);
            int channel = Array.FindIndex(ranges, r => !r.FitsInt32);
            if (channel >= 0)
                throw Invalid(layer, $"output channel {channel} could overflow: its worst-case accumulator range [{ranges[channel].Min}, {ranges[channel].Max}] " +
                                     $"({layer.ActivationBits}-bit inputs, {layer.WeightBits}-bit weights, bias {layer.Biases[channel]}) does not fit in int32.");
        }
    }
}
