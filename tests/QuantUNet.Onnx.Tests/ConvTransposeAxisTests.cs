using Onnx;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// A transposed convolution's weight is [Cin, Cout, kH, kW]: its per-output-channel scales go along
/// axis 1. The test model's upsampler has as many inputs as outputs and scales spread over two
/// decades, so scales applied along axis 0 still load but score differently.
/// </summary>
[TestClass]
public sealed class ConvTransposeAxisTests
{
    private const int Count = 4, Size = 32;

    [TestMethod]
    public void TheUpsamplersScalesGoAlongAxisOneAndAxisZeroWouldScoreWrong()
    {
        var model = ScaledModels.MiniUNet(seed: 4);
        var images = ScaledModels.Images(seed: 5, Count, Size, Size);
        var qdq = QdqExporter.Export(model);
        var dequantize = WeightDequantizer(qdq, "up");
        Assert.AreEqual(1L, dequantize.Attribute.Single(a => a.Name == "axis").I);
        var right = TinyModels.Agreement(model, OnnxRuntimeScoring.Logits(qdq, images, Count, 1, Size, Size, fused: false), images, Count, Size, Size);
        Assert.AreEqual(0L, right.PixelsBeyondHalfAnLsb, right.ToString());

        dequantize.Attribute.Single(a => a.Name == "axis").I = 0;
        var wrong = TinyModels.Agreement(model, OnnxRuntimeScoring.Logits(qdq, images, Count, 1, Size, Size, fused: false), images, Count, Size, Size);
        Assert.IsGreaterThan(Count * Size * Size / 10L, wrong.PixelsBeyondHalfAnLsb, $"axis 0 must change the logits: {wrong}");
    }

    [TestMethod]
    public void ConvolutionsScaleAlongAxisZero()
    {
        var qdq = QdqExporter.Export(ScaledModels.MiniUNet(seed: 4));
        foreach (var name in new[] { "enc", "mid", "dec", "final" })
            Assert.AreEqual(0L, WeightDequantizer(qdq, name).Attribute.Single(a => a.Name == "axis").I, name);
    }

    private static NodeProto WeightDequantizer(ModelProto model, string layer) =>
        model.Graph.Node.Single(n => n.OpType == "DequantizeLinear" && n.Input[0] == $"{layer}_weight_codes");
}
