using QuantUNet.Integer;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

[TestClass]
public sealed class ModelTests
{
    [TestMethod]
    public void HasTheTwentyThreeLayersOfAFourLevelUNet()
    {
        using var model = TestModels.Create();
        Assert.HasCount(23, model.Layers);
        Assert.AreEqual(18, model.Layers.Count(l => l.Kind == LayerKind.Conv3x3));
        Assert.AreEqual(4, model.Layers.Count(l => l.Kind == LayerKind.ConvTranspose2x2));
        Assert.AreEqual(LayerKind.Conv1x1, model.Layers[^1].Kind);
        Assert.AreEqual(23, model.Layers.Select(l => l.GetName()).Distinct().Count());
    }

    [TestMethod]
    public void OutputsOneLogitPerPixel()
    {
        using var model = TestModels.Create();
        using var input = rand(2, 1, 32, 48);
        using var output = model.forward(input);
        CollectionAssert.AreEqual(new long[] { 2, 1, 32, 48 }, output.shape);
    }

    [TestMethod]
    public void BitwidthSettingsOutsideTheIntegerDatapathAreRefusedWhenTheModelIsMade()
    {
        var wide = new ArchitectureOptions { BaseWidth = 2, Quantization = new() { WeightBits = new(Initial: 12, Max: 16) } };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new QuantUNetModel(wide));
        Assert.AreEqual("Quantization.WeightBits", error.ParamName);
        StringAssert.Contains(error.Message, "must lie within 2..8 bits");

        var zeroFloor = new ArchitectureOptions { BaseWidth = 2, Quantization = new() { ActivationBits = new(Min: 0) } };
        Assert.AreEqual("Quantization.ActivationBits", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new QuantUNetModel(zeroFloor)).ParamName);

        // Refused before any native module exists: nothing half-made is left for a finalizer (one crashed the test host).
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [TestMethod]
    public void RefusesSizesThatAreNotMultiplesOfSixteen()
    {
        using var model = TestModels.Create();
        using var input = rand(1, 1, 30, 32);
        var error = Assert.ThrowsExactly<ArgumentException>(() => model.forward(input));
        StringAssert.Contains(error.Message, "multiples of 16");
    }

    [TestMethod]
    public void EightBitModelStaysCloseToTheFloatModel()
    {
        using var model = TestModels.Create();
        var samples = TestModels.Blobs(8, 32, seed: 3);
        var (images, _) = SampleTensors.Stack(samples);
        model.train();
        using (no_grad())
            for (int i = 0; i < 25; i++) model.forward(images).Dispose(); // calibrates activation thresholds
        model.eval();
        using var quantized = ModelScoring.Logits(model, images, 8);
        model.Quantize = false;
        using var real = ModelScoring.Logits(model, images, 8);
        double relativeError = ((quantized - real).norm() / real.norm()).item<float>();
        Assert.IsLessThan(0.05, relativeError, $"8-bit output differs from float by {relativeError:P2}");
    }

    [TestMethod]
    public void SplitsParametersIntoWeightsAndQuantizerParameters()
    {
        using var model = TestModels.Create();
        // 23 layers x (weight offset + input offset + input threshold), less the image input's fixed threshold.
        Assert.AreEqual(23 * 3 - 1, model.QuantizerParameters().Count());
        // Weight and bias of every layer, and scale and shift of the BatchNorm after each of the 18 3x3 convolutions.
        Assert.AreEqual(23 * 2 + 18 * 2, model.WeightParameters().Count());
        Assert.AreEqual(18, model.Layers.Count(l => l.Norm is not null));
        Assert.IsTrue(model.Layers.Where(l => l.Norm is not null).All(l => l.Kind == LayerKind.Conv3x3));
    }

    [TestMethod]
    public void InEvalModeAFloatLayerWithBatchNormIsTheConvolutionWithItsFoldedWeights()
    {
        using var model = TestModels.Create(quantize: false);
        BatchNormStatistics.Randomize(model, seed: 2);
        model.eval();
        var layer = model.Layers[1];
        using var input = rand(2, layer.Weight.shape[1], 16, 16);
        using var output = layer.forward(input);
        var (weight, bias) = layer.FoldedFloatWeights();
        using var folded = nn.functional.conv2d(input, weight, bias, padding: [1, 1]);
        double error = (output - folded).abs().max().item<float>();
        Assert.IsLessThan(1e-5, error, $"folded convolution differs from conv + BatchNorm by {error}");
        Assert.IsGreaterThan(0.1, (output - nn.functional.conv2d(input, layer.Weight, layer.Bias, padding: [1, 1])).abs().max().item<float>(),
            "the randomized BatchNorm must change the layer, or the test proves nothing");
    }

    [TestMethod]
    public void QatTrainsTheBatchNormsScaleAndShiftThroughTheFoldAndLeavesItsStatistics()
    {
        using var model = TestModels.Create();
        BatchNormStatistics.Randomize(model, seed: 3);
        var norm = model.Layers[0].Norm!;
        using var meanBefore = norm.running_mean!.clone();
        model.train();
        using var output = model.forward(rand(2, 1, 16, 16));
        output.sum().backward();
        Assert.IsTrue(norm.weight!.grad is { } gammaGradient && gammaGradient.abs().sum().item<float>() > 0, "gamma gets a gradient through the folded weights");
        Assert.IsTrue(norm.bias!.grad is { } betaGradient && betaGradient.abs().sum().item<float>() > 0, "beta gets a gradient through the folded bias");
        Assert.IsTrue(norm.running_mean!.equal(meanBefore).all().item<bool>(), "QAT uses the running statistics and does not update them");
    }

    [TestMethod]
    public void TakesThreeChannelImages()
    {
        using var model = SegmentationTrainer.CreateModel(TestModels.Tiny(channels: 3), 1);
        using var output = model.forward(rand(1, 3, 16, 16));
        CollectionAssert.AreEqual(new long[] { 1, 1, 16, 16 }, output.shape);
    }

    [TestMethod]
    public void PerImageMinMaxNormalisationMakesTheModelBlindToContrastAndOffset()
    {
        var options = TestModels.Tiny(quantize: false) with { Normalization = PixelNormalization.PerImageMinMax };
        using var model = SegmentationTrainer.CreateModel(options, 1);
        model.eval();
        using var image = rand(1, 1, 16, 16);
        using var dimmer = image.Times(0.5).Plus(0.2);
        using var a = model.forward(image);
        using var b = model.forward(dimmer);
        Assert.IsTrue(a.allclose(b, rtol: 1e-4, atol: 1e-5), "a linear intensity change must not change the output");
        using var constant = ones(1, 1, 16, 16).TimesInPlace(0.3f);
        using var flat = model.forward(constant);
        Assert.IsTrue(flat.isfinite().all().item<bool>(), "a constant image must not divide by zero");
    }
}
