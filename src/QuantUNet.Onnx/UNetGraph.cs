using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx;

/// <summary>Where one layer's output goes: the consuming layer, the channel offset in its input, max-pooling before it.</summary>
/// <param name="Target">Index of the consuming layer (always a later one).</param>
/// <param name="ChannelOffset">Where these channels start in the consumer's input (the skip concatenation).</param>
/// <param name="Pooled">2x2 max-pooling, stride 2, before the consumer.</param>
public sealed record LayerEdge(int Target, int ChannelOffset, bool Pooled);

/// <summary>What the graph walk needs of a layer: its name, kind and where its output goes.</summary>
internal sealed record LayerSpec(string Name, LayerKind Kind, IReadOnlyList<LayerEdge> Outputs);

/// <summary>The parts in which the float, QDQ and QONNX graphs differ; <see cref="UNetGraph"/> does the wiring they share.</summary>
internal interface ILayerEmitter
{
    /// <summary>
    /// Whether a layer with several consumers gets one convolution per consumer (same weights), so
    /// that each is followed by a single quantizer, the pattern ONNX Runtime fuses into an integer kernel.
    /// </summary>
    bool ConvolutionPerConsumer => false;

    /// <summary>The first layer's input from the normalised image.</summary>
    string Input(GraphWriter graph, string normalizedImage);

    /// <summary>A layer's input from its producers' tensors in channel order (one, or a skip and an upsampler).</summary>
    string JoinInputs(GraphWriter graph, int layer, IReadOnlyList<string> producers);

    /// <summary>The layer's convolution; the final layer writes its output to <paramref name="output"/> (non-null).</summary>
    string Layer(GraphWriter graph, int layer, string input, string? output);

    /// <summary>The ReLU of a layer's output, once for all its consumers.</summary>
    string Rectified(GraphWriter graph, int layer, string output);

    /// <summary>The rectified output as consumer <paramref name="edge"/> takes it (its input quantizer), before any pooling.</summary>
    string Quantized(GraphWriter graph, int layer, LayerEdge edge, string rectified);
}

/// <summary>
/// Writes a U-Net graph from its layers in datapath order: the image input and its normalisation,
/// then per layer its joined inputs, its convolution and, per consumer, the activation and the
/// pooling; the last layer's output is the logits.
/// </summary>
internal static class UNetGraph
{
    public static void Write(GraphWriter graph, IReadOnlyList<LayerSpec> layers, int channels, PixelNormalization normalization, ILayerEmitter emitter)
    {
        graph.ImageInput(OnnxTensorNames.Image, channels);
        graph.LogitsOutput(OnnxTensorNames.Logits);
        var producers = layers.Select(_ => new List<(int Offset, string Tensor)>()).ToArray();
        producers[0].Add((0, emitter.Input(graph, Normalize(graph, normalization))));
        for (int index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var inputs = producers[index].OrderBy(p => p.Offset).Select(p => p.Tensor).ToList();
            bool last = index == layers.Count - 1;
            var input = emitter.JoinInputs(graph, index, inputs);
            if (last)
            {
                emitter.Layer(graph, index, input, OnnxTensorNames.Logits);
                break;
            }
            IReadOnlyList<IReadOnlyList<LayerEdge>> groups = emitter.ConvolutionPerConsumer ? layer.Outputs.Select(edge => (IReadOnlyList<LayerEdge>)[edge]).ToList() : [layer.Outputs];
            foreach (var group in groups)
            {
                var rectified = emitter.Rectified(graph, index, emitter.Layer(graph, index, input, null));
                foreach (var edge in group)
                {
                    var activation = emitter.Quantized(graph, index, edge, rectified);
                    if (edge.Pooled)
                        activation = graph.Node("MaxPool", $"{layer.Name}_pool", [activation], attributes: [GraphWriter.Ints("kernel_shape", 2, 2), GraphWriter.Ints("strides", 2, 2)]);
                    producers[edge.Target].Add((edge.ChannelOffset, activation));
                }
            }
        }
    }

    /// <summary>
    /// A layer's convolution node (stride 1 and padding 1 for 3x3, stride 2 for the upsampler) on
    /// [input, weight, bias]; its output is named <paramref name="output"/> when given (the logits).
    /// </summary>
    public static string Convolve(GraphWriter graph, LayerKind kind, string name, string[] inputs, string? output)
    {
        var (opType, attributes) = Convolution(kind);
        if (output is null) return graph.Node(opType, name, inputs, attributes: attributes);
        graph.Node(opType, name, inputs, output, "", attributes);
        return output;
    }

    private static (string OpType, AttributeProto[] Attributes) Convolution(LayerKind kind) => kind switch
    {
        LayerKind.Conv3x3 => ("Conv", [GraphWriter.Ints("kernel_shape", 3, 3), GraphWriter.Ints("pads", 1, 1, 1, 1), GraphWriter.Ints("strides", 1, 1)]),
        LayerKind.Conv1x1 => ("Conv", [GraphWriter.Ints("kernel_shape", 1, 1), GraphWriter.Ints("strides", 1, 1)]),
        LayerKind.ConvTranspose2x2 => ("ConvTranspose", [GraphWriter.Ints("kernel_shape", 2, 2), GraphWriter.Ints("strides", 2, 2)]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer kind."),
    };

    /// <summary>
    /// The weight tensor's ONNX shape and the axis of its output channels: [Cout, Cin, k, k] and 0 for a
    /// convolution, [Cin, Cout, k, k] and 1 for a transposed convolution.
    /// </summary>
    public static (long[] Dims, int OutputAxis) WeightShape(LayerKind kind, int inputChannels, int outputChannels)
    {
        long k = kind.KernelSize();
        return kind == LayerKind.ConvTranspose2x2 ? ([inputChannels, outputChannels, k, k], 1) : ([outputChannels, inputChannels, k, k], 0);
    }

    /// <summary>
    /// The image mapped to [0, 1] with the float32 operations the model was trained with: unchanged for
    /// unit range; per image channel (x - min) / (max - min) for min-max, 0 where a channel is constant
    /// (dividing by at least the smallest positive float leaves every non-zero range as it is).
    /// </summary>
    private static string Normalize(GraphWriter graph, PixelNormalization normalization)
    {
        if (normalization == PixelNormalization.UnitRange) return OnnxTensorNames.Image;
        var low = Reduce(graph, "ReduceMin", "image_min");
        var high = Reduce(graph, "ReduceMax", "image_max");
        var range = graph.Node("Sub", "image_range", [high, low]);
        var divisor = graph.Node("Max", "image_divisor", [range, graph.Float("smallest_positive_float", float.Epsilon)]);
        var shifted = graph.Node("Sub", "image_shifted", [OnnxTensorNames.Image, low]);
        return graph.Node("Div", "image_normalized", [shifted, divisor]);
    }

    /// <summary>A per-image, per-channel reduction over H and W (axes became an input in opset 18).</summary>
    private static string Reduce(GraphWriter graph, string opType, string name) => graph.Opset >= 18
        ? graph.Node(opType, name, [OnnxTensorNames.Image, graph.Int64s("spatial_axes", [2, 3], 2)], attributes: [GraphWriter.Int("keepdims", 1)])
        : graph.Node(opType, name, [OnnxTensorNames.Image], attributes: [GraphWriter.Ints("axes", 2, 3), GraphWriter.Int("keepdims", 1)]);
}
