using QuantUNet.Integer;

namespace QuantUNet.Torch.Model;

/// <summary>
/// The one statement of the U-Net's wiring, derived from <see cref="ArchitectureOptions"/>: the weight layers in
/// datapath order, each with the channels it takes and makes and the layers its output feeds. <see cref="QuantUNetModel"/>
/// builds its layers from it and its forward pass executes it; the integer and ONNX exports copy its edges, which
/// have the integer model's form (a producer lists its consumers), so all of them run the same graph.
/// </summary>
public sealed class UNetPlan
{
    /// <summary>Levels of the U-Net: each pools the image once on the way down and upsamples it once on the way up.</summary>
    public const int Levels = 4;

    /// <summary>Where a layer's output goes.</summary>
    /// <param name="Target">The consuming layer's index (always a later layer).</param>
    /// <param name="ChannelOffset">Where these channels start in the consumer's input: after the skip for an upsampler.</param>
    /// <param name="Pooled">2x2 max-pooling, stride 2, before the consumer.</param>
    public sealed record Edge(int Target, int ChannelOffset, bool Pooled);

    /// <summary>One weight layer; <see cref="Outputs"/> is empty for the last, whose output is the logits.</summary>
    public sealed record Node(string Name, LayerKind Kind, int InputChannels, int OutputChannels, IReadOnlyList<Edge> Outputs);

    private UNetPlan(IReadOnlyList<Node> nodes) => Nodes = nodes;

    /// <summary>The layers in datapath order; the first takes the normalised image.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>
    /// Encoder levels of two 3x3 convolutions whose second feeds the next level through max-pooling and its decoder
    /// level through the skip (first in the concatenation); a bottleneck of two; decoder levels of an upsampler
    /// (after the skip in the concatenation) and two 3x3 convolutions; a 1x1 convolution to one logit per pixel.
    /// </summary>
    public static UNetPlan Of(ArchitectureOptions options)
    {
        // Layers name their consumers, which come later; the names become indices once every layer is listed.
        var layers = new List<(string Name, LayerKind Kind, int Inputs, int Outputs, (string Target, int Offset, bool Pooled)[] Edges)>();
        void Add(string name, LayerKind kind, int inputs, int outputs, params (string, int, bool)[] edges) => layers.Add((name, kind, inputs, outputs, edges));

        int channels = options.InputChannels, width = options.BaseWidth;
        for (int level = 1; level <= Levels; level++, width *= 2)
        {
            string below = level < Levels ? $"enc{level + 1}_conv1" : "bottleneck_conv1";
            Add($"enc{level}_conv1", LayerKind.Conv3x3, channels, width, ($"enc{level}_conv2", 0, false));
            Add($"enc{level}_conv2", LayerKind.Conv3x3, width, width, (below, 0, true), ($"dec{level}_conv1", 0, false));
            channels = width;
        }
        Add("bottleneck_conv1", LayerKind.Conv3x3, channels, width, ("bottleneck_conv2", 0, false));
        Add("bottleneck_conv2", LayerKind.Conv3x3, width, width, ($"up{Levels}", 0, false));
        for (int level = Levels; level >= 1; level--, width /= 2)
        {
            int skip = width / 2;
            Add($"up{level}", LayerKind.ConvTranspose2x2, width, width / 2, ($"dec{level}_conv1", skip, false));
            Add($"dec{level}_conv1", LayerKind.Conv3x3, width, width / 2, ($"dec{level}_conv2", 0, false));
            Add($"dec{level}_conv2", LayerKind.Conv3x3, width / 2, width / 2, (level > 1 ? $"up{level - 1}" : "final", 0, false));
        }
        Add("final", LayerKind.Conv1x1, width, 1);

        var index = layers.Select((layer, i) => (layer.Name, i)).ToDictionary(p => p.Name, p => p.i);
        var nodes = layers.Select(l => new Node(l.Name, l.Kind, l.Inputs, l.Outputs,
            l.Edges.Select(e => new Edge(index[e.Target], e.Offset, e.Pooled)).ToList())).ToList();
        return new UNetPlan(nodes);
    }
}
