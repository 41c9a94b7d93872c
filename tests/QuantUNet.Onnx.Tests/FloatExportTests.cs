using QuantUNet.Onnx.Torch;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Onnx.Tests;

/// <summary>The float export scored by ONNX Runtime against the TorchSharp float network it came from.</summary>
[TestClass]
public sealed class FloatExportTests
{
    [TestMethod]
    public void OnnxRuntimeReproducesTheTorchSharpFloatNetwork()
    {
        using var floatModel = SegmentationTrainer.FloatTwin(TinyModels.Model);
        var images = TinyModels.Validation;
        var logits = OnnxRuntimeScoring.Logits(FloatModelExport.Export(floatModel), images, TinyModels.Images, 1, TinyModels.Size, TinyModels.Size);
        using var input = tensor(images, [TinyModels.Images, 1, TinyModels.Size, TinyModels.Size]);
        using var _ = no_grad();
        using var expected = floatModel.forward(input).flatten();
        var reference = expected.data<float>().ToArray();
        double scale = reference.Max(Math.Abs);
        var worst = reference.Zip(logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsLessThan(1e-5 * scale, worst, $"largest difference {worst} against logits up to {scale}");
        Assert.IsGreaterThan(0.999, reference.Zip(logits, (a, b) => a > 0 == b > 0).Count(same => same) / (double)reference.Length);
    }

    [TestMethod]
    public void ALayerWhoseWeightsDoNotMatchItsShapeIsRefused()
    {
        var network = FloatModelExport.From(TinyModels.Model);
        var broken = network with { Layers = [.. network.Layers.Take(3), network.Layers[3] with { Biases = new float[1] }, .. network.Layers.Skip(4)] };
        var error = Assert.ThrowsExactly<ArgumentException>(() => FloatOnnxExporter.Export(broken));
        StringAssert.StartsWith(error.Message, $"layer {network.Layers[3].Name}: ");
    }
}
