using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// The QONNX export: its Quant nodes carry each layer's learned widths, and its standard rewrite
/// (Quant -> QuantizeLinear / Clip / DequantizeLinear) scores in ONNX Runtime as the integer engine does.
/// </summary>
[TestClass]
public sealed class QonnxExportTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void QuantNodesCarryTheWidthsLayerByLayer()
    {
        var model = TinyModels.Mixed;
        var qonnx = QonnxExporter.Export(model);
        var initializers = qonnx.Graph.Initializer.ToDictionary(t => t.Name);
        var producers = qonnx.Graph.Node.ToDictionary(n => n.Output[0]);
        float Bits(NodeProto quant) => MemoryMarshal.Cast<byte, float>(initializers[quant.Input[3]].RawData.Span)[0];
        long Attribute(NodeProto quant, string name) => quant.Attribute.Single(a => a.Name == name).I;
        CollectionAssert.IsSubsetOf(new[] { 2, 5, 8 }, model.Layers.Select(l => l.WeightBits).Distinct().ToList(), "the model mixes widths");
        foreach (var layer in model.Layers)
        {
            var conv = qonnx.Graph.Node.Single(n => n.Name == layer.Name);
            var weightQuant = producers[conv.Input[1]];
            Assert.AreEqual("Quant", weightQuant.OpType, layer.Name);
            Assert.AreEqual(QonnxExporter.Domain, weightQuant.Domain);
            Assert.AreEqual(layer.WeightBits, Bits(weightQuant), $"{layer.Name} weights");
            Assert.AreEqual((1L, 1L), (Attribute(weightQuant, "signed"), Attribute(weightQuant, "narrow")), layer.Name);
            CollectionAssert.AreEqual(layer.Kind == LayerKind.ConvTranspose2x2 ? new long[] { 1, layer.OutputChannels, 1, 1 } : [layer.OutputChannels, 1, 1, 1],
                initializers[weightQuant.Input[1]].Dims.ToArray(), $"{layer.Name}: per-output-channel scale");
            // Every tensor feeding the layer's input (through Concat and MaxPool) comes from an unsigned Quant at the layer's width and one scale.
            foreach (var quant in InputQuants(producers, conv.Input[0]))
            {
                Assert.AreEqual(layer.ActivationBits, Bits(quant), $"{layer.Name} input");
                Assert.AreEqual((0L, 0L), (Attribute(quant, "signed"), Attribute(quant, "narrow")), layer.Name);
                Assert.AreEqual($"{layer.Name}_input_scale", quant.Input[1]);
                Assert.AreEqual("ROUND", quant.Attribute.Single(a => a.Name == "rounding_mode").S.ToStringUtf8());
                Assert.IsTrue(initializers.ContainsKey(quant.Input[3]), "bitwidths are static initializers");
            }
        }
    }

    [TestMethod]
    public void OnnxRuntimeRefusesQuantNodesButRunsTheirStandardRewrite()
    {
        var qonnx = QonnxExporter.Export(TinyModels.Trained);
        var refused = Assert.ThrowsExactly<OnnxRuntimeException>(() => new InferenceSession(qonnx.ToByteArray()));
        StringAssert.Contains(refused.Message, QonnxExporter.Domain);
        AssertAgreement(TinyModels.Trained);
        AssertAgreement(TinyModels.Mixed);
    }

    private void AssertAgreement(IntegerModel model) =>
        EngineAgreement.Check(model, QonnxToQcdq.Rewrite(QonnxExporter.Export(model)), TinyModels.Validation, TinyModels.Images, TinyModels.Size, TinyModels.Size, TestContext,
            $"QONNX as QCDQ, weight bits {string.Join(",", model.Layers.Select(l => l.WeightBits))}");

    private static IEnumerable<NodeProto> InputQuants(Dictionary<string, NodeProto> producers, string tensor)
    {
        var node = producers[tensor];
        return node.OpType switch
        {
            "Quant" => [node],
            "Concat" => node.Input.SelectMany(input => InputQuants(producers, input)),
            "MaxPool" => InputQuants(producers, node.Input[0]),
            _ => throw new AssertFailedException($"{tensor} comes from {node.OpType}, not a Quant"),
        };
    }
}
