using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using QuantUNet.Integer;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// Every activation code of the QDQ export, read from ONNX Runtime as extra graph outputs, against the
/// integer engine's exact codes: as the graph states it they are all equal; fused into integer kernels
/// the first codes to differ do so by one step (a rounding near a tie), and what follows is passed on.
/// </summary>
[TestClass]
public sealed class FusedKernelTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void FusedKernelsDepartFromTheExactCodesOnlyByOneStepRoundings()
    {
        var model = TinyModels.Trained;
        var edges = Edges(model).ToList();
        var qdq = QdqExporter.Export(model);
        foreach (var edge in edges)
            qdq.Graph.Output.Add(new ValueInfoProto { Name = edge.Tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Uint8 } } });
        var exact = ExactCodes(model, edges);
        foreach (bool fused in new[] { false, true })
        {
            var codes = OnnxCodes(qdq, edges, fused);
            var report = edges.Select((e, i) => (e.Tensor, Differing: codes[i].Zip(exact[i]).Count(p => p.First != p.Second),
                Largest: codes[i].Zip(exact[i]).Max(p => Math.Abs(p.First - p.Second)), Codes: codes[i].Length)).ToList();
            TestContext.WriteLine($"fused: {fused}\n" + string.Join("\n", report.Where(r => r.Differing > 0).Select(r => $"  {r.Tensor}: {r.Differing} of {r.Codes} codes differ, by up to {r.Largest}")));
            if (!fused)
            {
                Assert.IsTrue(report.All(r => r.Differing == 0), "as stated, the graph computes the exact codes");
                continue;
            }
            var first = report.FirstOrDefault(r => r.Differing > 0);
            if (first.Tensor is not null) Assert.AreEqual(1, first.Largest, $"{first.Tensor}: the first codes to differ are one step off");
        }
    }

    /// <summary>
    /// What ONNX Runtime 1.31.1 makes of each layer (its optimised model, as it saves it): a 3x3
    /// convolution followed by one quantizer becomes QLinearConv; an encoder layer's convolution, whose
    /// output two quantizers read, stays DequantizeLinear + float Conv unless exported with one
    /// convolution per consumer; transposed convolutions and the final 1x1 (float logits) stay float.
    /// </summary>
    [TestMethod]
    public void OnnxRuntimeFusesEveryConvolutionWithOneQuantizerIntoAnIntegerKernel()
    {
        var model = TinyModels.Trained;
        var convolutions = model.Layers.Where(l => l.Kind == LayerKind.Conv3x3).ToList();
        foreach (bool perConsumer in new[] { false, true })
        {
            var qdq = QdqExporter.Export(model, convolutionPerConsumer: perConsumer);
            var path = Path.Combine(Path.GetTempPath(), $"quantunet-fused-{Environment.ProcessId}-{perConsumer}.onnx");
            try
            {
                using (new InferenceSession(qdq.ToByteArray(), new SessionOptions { OptimizedModelFilePath = path, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR })) { }
                var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
                TestContext.WriteLine($"one convolution per consumer: {perConsumer}: {string.Join(", ", ops.Select(p => $"{p.Key} {p.Value}"))}");
                int fused = perConsumer ? convolutions.Sum(l => l.Outputs.Count) : convolutions.Count(l => l.Outputs.Count == 1);
                Assert.AreEqual(fused, ops.GetValueOrDefault("QLinearConv"), $"per consumer: {perConsumer}");
                Assert.AreEqual(model.Layers.Count(l => l.Kind == LayerKind.ConvTranspose2x2), ops.GetValueOrDefault("ConvTranspose"), "upsamplers stay float");
                Assert.AreEqual(1 + (perConsumer ? 0 : convolutions.Count(l => l.Outputs.Count > 1)), ops.GetValueOrDefault("Conv"), "float convolutions");
            }
            finally
            {
                File.Delete(path);
            }
            EngineAgreement.Check(model, qdq, TinyModels.Validation, TinyModels.Images, TinyModels.Size, TinyModels.Size, TestContext, $"one convolution per consumer: {perConsumer}");
        }
    }

    /// <summary>Each layer-to-consumer activation (before pooling), the image's codes first, in datapath order.</summary>
    private static IEnumerable<(int Layer, LayerOutput? Output, string Tensor)> Edges(IntegerModel model)
    {
        yield return (-1, null, Tensor("image", model.Layers[0]));
        foreach (var (layer, index) in model.Layers.Select((l, i) => (l, i)))
            foreach (var output in layer.Outputs)
                yield return (index, output, Tensor($"{layer.Name}_to_{model.Layers[output.Target].Name}", model.Layers[output.Target]));
    }

    /// <summary>The QDQ export's name of an activation's codes: after the Clip, or the QuantizeLinear at 8 bits.</summary>
    private static string Tensor(string prefix, IntegerLayer consumer) => consumer.ActivationBits < 8 ? $"{prefix}_clip" : $"{prefix}_q";

    private static byte[][] OnnxCodes(ModelProto qdq, List<(int Layer, LayerOutput? Output, string Tensor)> edges, bool fused)
    {
        using var session = OnnxRuntimeScoring.Session(qdq, fused);
        using var input = OrtValue.CreateTensorValueFromMemory(TinyModels.Validation, [TinyModels.Images, 1, TinyModels.Size, TinyModels.Size]);
        using var outputs = session.Run(new RunOptions(), [OnnxTensorNames.Image], [input], edges.Select(e => e.Tensor).ToArray());
        return outputs.Select(o => o.GetTensorDataAsSpan<byte>().ToArray()).ToArray();
    }

    /// <summary>The engine's codes, NCHW like ONNX Runtime's: image codes, then each layer's accumulators requantised per consumer.</summary>
    private static byte[][] ExactCodes(IntegerModel model, List<(int Layer, LayerOutput? Output, string Tensor)> edges)
    {
        var engine = new IntegerEngine(model);
        int size = TinyModels.Size, plane = size * size;
        var codes = edges.Select(_ => new List<byte>()).ToArray();
        for (int image = 0; image < TinyModels.Images; image++)
        {
            var pixels = TinyModels.Pixels.AsSpan(image * plane, plane);
            foreach (var p in pixels) codes[0].Add((byte)FixedPointMultiplier.FromScales(1, model.Layers[0].MaxActivation, 255).Requantize(p, model.Layers[0].MaxActivation));
            var accumulators = engine.LayerAccumulators(pixels, size, size);
            for (int e = 1; e < edges.Count; e++)
            {
                var (layer, output, _) = edges[e];
                int channels = model.Layers[layer].OutputChannels, perChannel = accumulators[layer].Length / channels;
                for (int i = 0; i < accumulators[layer].Length; i++)
                    codes[e].Add((byte)output!.Multipliers[i / perChannel].Requantize(accumulators[layer][i], model.Layers[output.Target].MaxActivation));
            }
        }
        return codes.Select(c => c.ToArray()).ToArray();
    }
}
