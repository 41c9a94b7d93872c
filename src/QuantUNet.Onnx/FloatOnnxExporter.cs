using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx;

/// <summary>One float layer of a U-Net to export.</summary>
/// <param name="Weights">In ONNX's (and TorchSharp's) order: [Cout, Cin, k, k] for a convolution, [Cin, Cout, k, k] for the upsampler.</param>
/// <param name="Outputs">Where the layer's ReLU output goes; empty for the final layer, whose output is the logits.</param>
/// <param name="Name">The layer's name in the U-Net (e.g. "enc1_conv1"), used for the ONNX initializers and nodes.</param>
/// <param name="Kind">The operation: 3x3 convolution, 2x2 transposed convolution or 1x1 output convolution.</param>
/// <param name="InputChannels">Channels the layer reads.</param>
/// <param name="OutputChannels">Channels the layer writes.</param>
/// <param name="Biases">One per output channel.</param>
public sealed record FloatLayer(string Name, LayerKind Kind, int InputChannels, int OutputChannels, float[] Weights, float[] Biases, IReadOnlyList<LayerEdge> Outputs);

/// <summary>A float U-Net: its input and its layers in datapath order.</summary>
public sealed record FloatUNet(int InputChannels, PixelNormalization Normalization, IReadOnlyList<FloatLayer> Layers);

/// <summary>
/// Exports a float U-Net as ONNX (opset 13): Conv / ConvTranspose with float32 weights, Relu, MaxPool
/// and Concat, the same input normalisation, input and output names and dynamic N, H, W as the QDQ export.
/// </summary>
public static class FloatOnnxExporter
{
    /// <exception cref="ArgumentException">A layer's weights or biases do not match its shape.</exception>
    public static ModelProto Export(FloatUNet network)
    {
        foreach (var layer in network.Layers) Check(layer);
        var graph = new GraphWriter(13);
        var specs = network.Layers.Select(l => new LayerSpec(l.Name, l.Kind, l.Outputs)).ToList();
        UNetGraph.Write(graph, specs, network.InputChannels, network.Normalization, new Emitter(network));
        var metadata = new Dictionary<string, string> { ["quantunet.form"] = "onnx-float", ["quantunet.normalization"] = network.Normalization.ToString() };
        return graph.Model("QuantU-Net, float32", metadata);
    }

    private static void Check(FloatLayer layer)
    {
        long expected = (long)layer.InputChannels * layer.OutputChannels * layer.Kind.KernelSize() * layer.Kind.KernelSize();
        if (layer.Weights.Length != expected || layer.Biases.Length != layer.OutputChannels)
            throw new ArgumentException($"layer {layer.Name}: {layer.Weights.Length} weights and {layer.Biases.Length} biases; " +
                                        $"{layer.InputChannels} inputs and {layer.OutputChannels} outputs need {expected} and {layer.OutputChannels}.", "network");
    }

    private sealed class Emitter(FloatUNet network) : ILayerEmitter
    {
        public string Input(GraphWriter graph, string normalizedImage) => normalizedImage;

        public string JoinInputs(GraphWriter graph, int layer, IReadOnlyList<string> producers) => producers.Count == 1
            ? producers[0]
            : graph.Node("Concat", $"{network.Layers[layer].Name}_input", producers, attributes: [GraphWriter.Int("axis", 1)]);

        public string Layer(GraphWriter graph, int index, string input, string? output)
        {
            var layer = network.Layers[index];
            var (dims, _) = UNetGraph.WeightShape(layer.Kind, layer.InputChannels, layer.OutputChannels);
            string[] inputs = [input, graph.Floats($"{layer.Name}_weight", layer.Weights, dims), graph.Floats($"{layer.Name}_bias", layer.Biases, layer.OutputChannels)];
            return UNetGraph.Convolve(graph, layer.Kind, layer.Name, inputs, output);
        }

        public string Rectified(GraphWriter graph, int layer, string output) => graph.Node("Relu", $"{network.Layers[layer].Name}_relu", [output]);

        /// <summary>Nothing: the float network has no quantizers.</summary>
        public string Quantized(GraphWriter graph, int layer, LayerEdge edge, string rectified) => rectified;
    }
}
