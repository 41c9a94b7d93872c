using Google.Protobuf;
using Onnx;
using static Onnx.TensorProto.Types;

namespace QuantUNet.Onnx;

/// <summary>
/// Builds one ONNX graph: nodes with generated unique output names, initializers deduplicated by
/// name (a scale shared by several consumers is stored once), the dynamic [N, C, H, W] image input
/// and the [N, 1, H, W] logits output.
/// </summary>
internal sealed class GraphWriter(int opset)
{
    private readonly GraphProto graph = new() { Name = "QuantUNet" };
    private readonly HashSet<string> initializers = [];
    private readonly Dictionary<string, int> nameCounts = [];

    /// <summary>The default-domain opset the graph is written for.</summary>
    public int Opset { get; } = opset;

    /// <summary>Adds a node and returns its (single) output's name, derived from <paramref name="name"/>.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, string domain = "", params AttributeProto[] attributes)
    {
        var output = Unique(name);
        Node(opType, output, inputs, output, domain, attributes);
        return output;
    }

    /// <summary>Adds a node whose output has a fixed name (the graph's output).</summary>
    public void Node(string opType, string nodeName, IEnumerable<string> inputs, string output, string domain, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = nodeName, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>A float initializer (stored once per name).</summary>
    public string Floats(string name, float[] values, params long[] dims) =>
        Initializer(name, DataType.Float, dims, () => ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));

    /// <summary>A scalar float initializer.</summary>
    public string Float(string name, float value) => Floats(name, [value]);

    public string Int8s(string name, sbyte[] values, params long[] dims) =>
        Initializer(name, DataType.Int8, dims, () => ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));

    public string Int32s(string name, int[] values, params long[] dims) =>
        Initializer(name, DataType.Int32, dims, () => ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));

    public string Int64s(string name, long[] values, params long[] dims) =>
        Initializer(name, DataType.Int64, dims, () => ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));

    /// <summary>A scalar uint8 initializer (zero points and clip bounds of activation codes).</summary>
    public string UInt8(string name, byte value) => Initializer(name, DataType.Uint8, [], () => ByteString.CopyFrom(value));

    /// <summary>
    /// Signed 4-bit values as a <c>Constant</c> node rather than an initializer: ML.NET 5.0.1's
    /// OnnxTransformer reads every initializer's element type and does not know INT4, but never looks
    /// into Constant nodes. Two values a byte, the first in the low nibble (the ONNX packing).
    /// </summary>
    public string Int4Constant(string name, sbyte[] values, params long[] dims)
    {
        var packed = new byte[(values.Length + 1) / 2];
        for (int i = 0; i < values.Length; i++) packed[i / 2] |= (byte)((values[i] & 0xF) << (i % 2 * 4));
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int4, RawData = ByteString.CopyFrom(packed) };
        tensor.Dims.AddRange(dims);
        return Node("Constant", name, [], attributes: new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
    }

    /// <summary>Declares the image input [N, channels, H, W] with N, H and W dynamic.</summary>
    public void ImageInput(string name, int channels) => graph.Input.Add(TensorValue(name, DataType.Float, "N", channels, "H", "W"));

    /// <summary>Declares the logits output [N, 1, H, W].</summary>
    public void LogitsOutput(string name) => graph.Output.Add(TensorValue(name, DataType.Float, "N", 1, "H", "W"));

    /// <summary>The finished model: the default opset plus any custom domains (name, version).</summary>
    public ModelProto Model(string docString, IReadOnlyDictionary<string, string> metadata, params (string Domain, long Version)[] customDomains)
    {
        var model = new ModelProto
        {
            IrVersion = Opset >= 21 ? 10 : 7,
            ProducerName = "QuantUNet",
            ProducerVersion = typeof(GraphWriter).Assembly.GetName().Version?.ToString() ?? "",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (domain, version) in customDomains) model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Initializer(string name, DataType type, long[] dims, Func<ByteString> data)
    {
        if (!initializers.Add(name)) return name;
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = data() };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    private string Unique(string name)
    {
        int count = nameCounts.GetValueOrDefault(name);
        nameCounts[name] = count + 1;
        return count == 0 ? name : $"{name}_{count}";
    }

    private static ValueInfoProto TensorValue(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (int)dim });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
