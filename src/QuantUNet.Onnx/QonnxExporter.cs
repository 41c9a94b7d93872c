using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx;

/// <summary>
/// Exports an <see cref="IntegerModel"/> as a QONNX model for FINN: float tensors with a QONNX
/// <c>Quant</c> node (domain <see cref="Domain"/>) per quantizer, as Brevitas exports them. Every weight
/// is a float initializer (code x step) through a signed, narrow-range Quant with per-output-channel
/// scales and the layer's learned width; every activation is Relu then an unsigned Quant at its
/// consumer's step and width; the image gets an unsigned Quant at 1 / N. Scale, zero point (0) and bit
/// width are static initializers, rounding is <c>ROUND</c> (half to even, as the integer engine), both
/// inputs of a skip concatenation carry their consumer's one scale, biases are float (code x s_in x s_w).
/// </summary>
public static class QonnxExporter
{
    /// <summary>The QONNX custom-op domain of <c>Quant</c>.</summary>
    public const string Domain = "qonnx.custom_op.general";

    /// <summary>Builds the QONNX model (opset 13 plus <see cref="Domain"/> version 1).</summary>
    public static ModelProto Export(IntegerModel model)
    {
        var graph = new GraphWriter(13);
        UNetGraph.Write(graph, IntegerGraph.Specs(model), model.Header.InputChannels, model.Header.Normalization, new Emitter(model));
        return graph.Model("QuantU-Net as QONNX (Quant nodes with the learned per-layer bitwidths)", IntegerGraph.Metadata(model, "qonnx"), (Domain, 1));
    }

    private sealed class Emitter(IntegerModel model) : ILayerEmitter
    {
        public string Input(GraphWriter graph, string normalizedImage) => ActivationQuant(graph, 0, normalizedImage, "image");

        /// <summary>Concatenates fake-quantized tensors that share their consumer's scale.</summary>
        public string JoinInputs(GraphWriter graph, int layer, IReadOnlyList<string> producers) => producers.Count == 1
            ? producers[0]
            : graph.Node("Concat", $"{model.Layers[layer].Name}_input", producers, attributes: [GraphWriter.Int("axis", 1)]);

        public string Layer(GraphWriter graph, int index, string input, string? output)
        {
            var layer = model.Layers[index];
            var (dims, axis) = UNetGraph.WeightShape(layer.Kind, layer.InputChannels, layer.OutputChannels);
            var codes = axis == 1 ? IntegerGraph.InputMajor(layer) : layer.Weights;
            int perChannel = codes.Length / layer.OutputChannels;
            // The output channel of weight i: [Cout, Cin, k, k] has it outermost, [Cin, Cout, k, k] second.
            int Channel(int i) => axis == 0 ? i / perChannel : i / (layer.KernelSize * layer.KernelSize) % layer.OutputChannels;
            var values = codes.Select((code, i) => (float)(code * layer.WeightScales[Channel(i)])).ToArray();
            var scaleDims = new long[] { 1, 1, 1, 1 };
            scaleDims[axis] = layer.OutputChannels;
            var weight = Quant(graph, $"{layer.Name}_weight",
                graph.Floats($"{layer.Name}_weight_float", values, dims),
                graph.Floats($"{layer.Name}_weight_scale", layer.WeightScales.Select(s => (float)s).ToArray(), scaleDims),
                layer.WeightBits, signed: true);
            var bias = graph.Floats($"{layer.Name}_bias", layer.Biases.Select((b, c) => (float)(b * layer.InputScale * layer.WeightScales[c])).ToArray(), layer.OutputChannels);
            return UNetGraph.Convolve(graph, layer.Kind, layer.Name, [input, weight, bias], output);
        }

        /// <summary>An explicit Relu before the unsigned Quant, as Brevitas exports QuantReLU and FINN's front end expects.</summary>
        public string Rectified(GraphWriter graph, int layer, string output) => graph.Node("Relu", $"{model.Layers[layer].Name}_relu", [output]);

        public string Quantized(GraphWriter graph, int layer, LayerEdge edge, string rectified) =>
            ActivationQuant(graph, edge.Target, rectified, $"{model.Layers[layer].Name}_to_{model.Layers[edge.Target].Name}");

        /// <summary>The unsigned input quantizer of layer <paramref name="consumer"/>.</summary>
        private string ActivationQuant(GraphWriter graph, int consumer, string values, string name) =>
            Quant(graph, name, values, graph.Float($"{model.Layers[consumer].Name}_input_scale", IntegerGraph.InputStep(model, consumer)),
                model.Layers[consumer].ActivationBits, signed: false);

        /// <summary>A QONNX Quant: signed weights narrow (±(2^(b-1) - 1), as the integer model), unsigned activations full range.</summary>
        private static string Quant(GraphWriter graph, string name, string values, string scale, int bits, bool signed) =>
            graph.Node("Quant", $"{name}_quant", [values, scale, graph.Float("zero_point", 0f), graph.Float($"bits_{bits}", bits)], Domain,
                GraphWriter.Int("signed", signed ? 1 : 0), GraphWriter.Int("narrow", signed ? 1 : 0), GraphWriter.String("rounding_mode", "ROUND"));
    }
}
