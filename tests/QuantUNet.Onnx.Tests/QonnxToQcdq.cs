using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static Onnx.TensorProto.Types;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// Rewrites every QONNX <c>Quant</c> node into its standard equivalent, as qonnx's QuantToQCDQ does:
/// QuantizeLinear (int8 when signed, uint8 when not, zero point 0, per-channel axis where the scale has
/// one non-unit dimension) -> Clip to the n-bit range (narrow: symmetric) -> DequantizeLinear. It reads
/// only the graph (the Quant attributes and the scale and bit-width initializers), so ONNX Runtime can
/// check what the QONNX graph says.
/// </summary>
internal static class QonnxToQcdq
{
    public static ModelProto Rewrite(ModelProto qonnx)
    {
        var model = qonnx.Clone();
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var nodes = graph.Node.ToList();
        graph.Node.Clear();
        foreach (var node in nodes)
        {
            if (node.OpType != "Quant") { graph.Node.Add(node); continue; }
            if (node.Domain != QonnxExporter.Domain) throw new InvalidDataException($"{node.Name}: Quant in domain '{node.Domain}'.");
            var scale = initializers[node.Input[1]];
            int bits = checked((int)Floats(initializers[node.Input[3]]).Single());
            bool signed = Attribute(node, "signed") == 1, narrow = Attribute(node, "narrow") == 1;
            if (Floats(initializers[node.Input[2]]).Any(z => z != 0)) throw new InvalidDataException($"{node.Name}: non-zero zero point.");
            int axis = scale.Dims.ToList().FindIndex(d => d != 1);
            var (min, max) = signed ? (narrow ? 1 - (1 << (bits - 1)) : -(1 << (bits - 1)), (1 << (bits - 1)) - 1) : (0, (1 << bits) - 1);
            var type = signed ? DataType.Int8 : DataType.Uint8;
            var scaleValues = Floats(scale);
            var scale1D = Add(graph, $"{node.Name}_qcdq_scale", DataType.Float, MemoryMarshal.AsBytes(scaleValues.AsSpan()).ToArray(), axis < 0 ? [] : [scaleValues.Length]);
            var zero = Add(graph, $"{node.Name}_qcdq_zero", type, new byte[scaleValues.Length], axis < 0 ? [] : [scaleValues.Length]);
            var low = Add(graph, $"{node.Name}_qcdq_min", type, [(byte)(sbyte)min], []);
            var high = Add(graph, $"{node.Name}_qcdq_max", type, [(byte)max], []);
            var axes = axis < 0 ? Array.Empty<AttributeProto>() : [new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis }];
            graph.Node.Add(Node("QuantizeLinear", [node.Input[0], scale1D, zero], $"{node.Output[0]}_codes", axes));
            graph.Node.Add(Node("Clip", [$"{node.Output[0]}_codes", low, high], $"{node.Output[0]}_clipped", []));
            graph.Node.Add(Node("DequantizeLinear", [$"{node.Output[0]}_clipped", scale1D, zero], node.Output[0], axes));
        }
        var custom = model.OpsetImport.Single(o => o.Domain == QonnxExporter.Domain);
        model.OpsetImport.Remove(custom);
        return model;
    }

    private static long Attribute(NodeProto node, string name) => node.Attribute.Single(a => a.Name == name).I;

    private static float[] Floats(TensorProto tensor) => MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();

    private static string Add(GraphProto graph, string name, DataType type, byte[] data, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static NodeProto Node(string opType, string[] inputs, string output, AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }
}
