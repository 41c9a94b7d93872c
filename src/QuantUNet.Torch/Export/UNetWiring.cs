using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Export;

/// <summary>
/// Where each layer's output goes in <see cref="QuantUNetModel.forward"/>, by layer name: encoder
/// layers feed the next encoder layer through max-pooling and the decoder through the skip (first in
/// the concatenation), upsamplers fill the concatenation after the skip, everything else feeds the next
/// layer. The engine check in the export tests holds this against the TorchSharp forward.
/// </summary>
internal static class UNetWiring
{
    public sealed record Edge(string From, string To, bool Pooled, int ChannelOffset);

    public static IReadOnlyList<Edge> Of(QuantUNetModel model)
    {
        var channels = model.Layers.ToDictionary(l => l.GetName(), l => (int)l.Weight.shape[l.WeightQuantizer.OutputChannelAxis]);
        int levels = channels.Keys.Count(name => name.StartsWith("enc", StringComparison.Ordinal) && name.EndsWith("_conv1", StringComparison.Ordinal));
        var edges = new List<Edge>();
        void Feed(string from, string to, bool pooled = false, int offset = 0) => edges.Add(new Edge(from, to, pooled, offset));
        for (int level = 1; level <= levels; level++)
        {
            Feed($"enc{level}_conv1", $"enc{level}_conv2");
            Feed($"enc{level}_conv2", level < levels ? $"enc{level + 1}_conv1" : "bottleneck_conv1", pooled: true);
            Feed($"enc{level}_conv2", $"dec{level}_conv1");
        }
        Feed("bottleneck_conv1", "bottleneck_conv2");
        Feed("bottleneck_conv2", $"up{levels}");
        for (int level = levels; level >= 1; level--)
        {
            Feed($"up{level}", $"dec{level}_conv1", offset: channels[$"enc{level}_conv2"]);
            Feed($"dec{level}_conv1", $"dec{level}_conv2");
            Feed($"dec{level}_conv2", level > 1 ? $"up{level - 1}" : "final");
        }
        return edges;
    }
}
