using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx;

/// <summary>How the QDQ export stores weight codes.</summary>
public enum QdqWeightStorage
{
    /// <summary>int8 initializers holding each layer's n-bit codes (opset 13): ONNX Runtime fuses convolutions into integer kernels.</summary>
    Int8,

    /// <summary>
    /// Layers of at most 4 weight bits as int4 <c>Constant</c> nodes (opset 21), the rest as int8: the smallest
    /// file ML.NET 5.0.1 can load; ONNX Runtime dequantizes int4 weights and runs float convolutions.
    /// </summary>
    Int4,
}

/// <summary>
/// Exports an <see cref="IntegerModel"/> as a standard ONNX model of QuantizeLinear / DequantizeLinear
/// pairs that reproduces its datapath, in the "QCDQ" form Brevitas exports: every activation is
/// QuantizeLinear to uint8 (zero point 0, so negative values become 0: the ReLU), Clip to the
/// consumer's n-bit range, then max-pooled and concatenated as codes and DequantizeLinear'd once at its
/// consumer's input step. Weights are int8 codes with per-output-channel scales (axis 0 for Conv, 1 for
/// ConvTranspose), biases int32 codes at the step s_in * s_w[c]. Input: float <c>image</c> [N, C, H, W],
/// pixels in [0, 1] (any range for per-image min-max); output: float <c>logits</c> [N, 1, H, W].
/// </summary>
public static class QdqExporter
{
    /// <summary>Builds the ONNX model; write it with <c>ToByteArray()</c> or <c>WriteTo</c>.</summary>
    /// <param name="model">The integer model to express.</param>
    /// <param name="weights">How weight codes are stored.</param>
    /// <param name="convolutionPerConsumer">
    /// Write a layer whose output two quantizers read (an encoder layer: the pooled path and the skip) as one
    /// convolution per consumer, sharing the weights: ONNX Runtime then fuses every 3x3 convolution into an
    /// integer kernel, at the price of computing those layers twice.
    /// </param>
    public static ModelProto Export(IntegerModel model, QdqWeightStorage weights = QdqWeightStorage.Int8, bool convolutionPerConsumer = false)
    {
        var graph = new GraphWriter(weights == QdqWeightStorage.Int4 ? 21 : 13);
        UNetGraph.Write(graph, IntegerGraph.Specs(model), model.Header.InputChannels, model.Header.Normalization, new Emitter(model, weights, convolutionPerConsumer));
        return graph.Model("QuantU-Net, integer datapath as ONNX QDQ (QCDQ form)", IntegerGraph.Metadata(model, "onnx-qdq"));
    }

    private sealed class Emitter(IntegerModel model, QdqWeightStorage storage, bool convolutionPerConsumer) : ILayerEmitter
    {
        public bool ConvolutionPerConsumer => convolutionPerConsumer;

        public string Input(GraphWriter graph, string normalizedImage) => Codes(graph, 0, normalizedImage, "image");

        /// <summary>Concatenates codes (the producers of one consumer share its step) and dequantizes once.</summary>
        public string JoinInputs(GraphWriter graph, int layer, IReadOnlyList<string> producers)
        {
            var name = model.Layers[layer].Name;
            var codes = producers.Count == 1 ? producers[0] : graph.Node("Concat", $"{name}_input_codes", producers, attributes: [GraphWriter.Int("axis", 1)]);
            return graph.Node("DequantizeLinear", $"{name}_input", [codes, InputScale(graph, layer), graph.UInt8("zero_u8", 0)]);
        }

        public string Layer(GraphWriter graph, int index, string input, string? output)
        {
            var layer = model.Layers[index];
            var (dims, axis) = UNetGraph.WeightShape(layer.Kind, layer.InputChannels, layer.OutputChannels);
            var codes = axis == 1 ? IntegerGraph.InputMajor(layer) : layer.Weights;
            var stored = storage == QdqWeightStorage.Int4 && layer.WeightBits <= 4
                ? graph.Int4Constant($"{layer.Name}_weight_codes", codes, dims)
                : graph.Int8s($"{layer.Name}_weight_codes", codes, dims);
            var weightScales = layer.WeightScales.Select(s => (float)s).ToArray();
            // No zero point: it defaults to 0 of the codes' own type (int8 or int4).
            var weight = graph.Node("DequantizeLinear", $"{layer.Name}_weight", [stored, graph.Floats($"{layer.Name}_weight_scale", weightScales, layer.OutputChannels)],
                attributes: [GraphWriter.Int("axis", axis)]);
            var biasScales = layer.WeightScales.Select(s => (float)(layer.InputScale * s)).ToArray();
            var bias = graph.Node("DequantizeLinear", $"{layer.Name}_bias", [
                graph.Int32s($"{layer.Name}_bias_codes", layer.Biases, layer.OutputChannels),
                graph.Floats($"{layer.Name}_bias_scale", biasScales, layer.OutputChannels),
            ], attributes: [GraphWriter.Int("axis", 0)]);
            return UNetGraph.Convolve(graph, layer.Kind, layer.Name, [input, weight, bias], output);
        }

        /// <summary>Nothing: QuantizeLinear with zero point 0 maps negative values to code 0.</summary>
        public string Rectified(GraphWriter graph, int layer, string output) => output;

        public string Quantized(GraphWriter graph, int layer, LayerEdge edge, string rectified) =>
            Codes(graph, edge.Target, rectified, $"{model.Layers[layer].Name}_to_{model.Layers[edge.Target].Name}");

        /// <summary>QuantizeLinear to the consumer's step as uint8 (negatives become 0), then Clip to its width if below 8 bits.</summary>
        private string Codes(GraphWriter graph, int consumer, string values, string name)
        {
            var zero = graph.UInt8("zero_u8", 0);
            var codes = graph.Node("QuantizeLinear", $"{name}_q", [values, InputScale(graph, consumer), zero]);
            var target = model.Layers[consumer];
            if (target.ActivationBits == 8) return codes;
            return graph.Node("Clip", $"{name}_clip", [codes, zero, graph.UInt8($"max_u{target.ActivationBits}", (byte)target.MaxActivation)]);
        }

        private string InputScale(GraphWriter graph, int layer) =>
            graph.Float($"{model.Layers[layer].Name}_input_scale", IntegerGraph.InputStep(model, layer));
    }
}
