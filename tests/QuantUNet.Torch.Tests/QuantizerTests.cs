using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

[TestClass]
public sealed class QuantizerTests
{
    [TestMethod]
    [DataRow(0f, 2)]
    [DataRow(3.3f, 5)]
    [DataRow(3.6f, 6)]
    [DataRow(-1.2f, 3)]
    [DataRow(40f, 8)]
    public void BitsAreWholeAndInsideTheirRange(float offset, int expected)
    {
        using var bits = new LearnedBitwidth("b", 8);
        using (no_grad()) bits.Offset.FillInPlace(offset);
        using var value = bits.Bits();
        Assert.AreEqual(expected, value.item<float>());
        Assert.AreEqual(expected, bits.Current);
    }

    [TestMethod]
    public void ProjectionKeepsTheOffsetInRange()
    {
        using var bits = new LearnedBitwidth("b", 8, minBits: 2, maxBits: 8);
        using (no_grad()) bits.Offset.FillInPlace(9.5f);
        bits.Project();
        Assert.AreEqual(6f, bits.Offset.item<float>());
        using (no_grad()) bits.Offset.FillInPlace(-3f);
        bits.Project();
        Assert.AreEqual(0f, bits.Offset.item<float>());
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(5)]
    [DataRow(8)]
    public void AWidthHasAGradientAtEitherBound(int initialBits)
    {
        // At the floor the offset is 0, where torch's |x| has no gradient: the width would stay at its floor whatever the loss.
        using var bits = new LearnedBitwidth("b", initialBits, minBits: 2, maxBits: 8);
        using var value = bits.Bits();
        value.backward();
        Assert.AreEqual(1f, bits.Offset.grad!.item<float>());
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(8)]
    public void QuantizedWeightsTakeAtMostTwoToTheBValuesPerChannel(int b)
    {
        manual_seed(1);
        using var quantizer = new WeightQuantizer("w", [6, 5, 3, 3], 0, new BitwidthOptions(Initial: b), WeightScaling.MaxAbs);
        using var weight = randn(6, 5, 3, 3);
        using var quantized = quantizer.forward(weight);
        using var integers = quantizer.Integers(weight);
        for (int channel = 0; channel < 6; channel++)
        {
            var values = quantized[channel].flatten().data<float>().Distinct().Count();
            Assert.IsLessThanOrEqualTo(1 << b, values);
        }
        long limit = (1L << (b - 1)) - 1;
        Assert.IsLessThanOrEqualTo(limit, integers.abs().max().item<float>());
        Assert.AreEqual(0f, (integers - integers.round()).abs().max().item<float>(), "codes must be integers");
    }

    [TestMethod]
    public void ActivationCodesAreUnsignedIntegersOnTheStepGrid()
    {
        using var quantizer = new ActivationQuantizer("a", new BitwidthOptions(Initial: 3), new ActivationThresholdOptions(Fixed: 2.0));
        using var x = linspace(-1, 3, 101);
        using var integers = quantizer.Integers(x);
        Assert.AreEqual(2.0 / 7, quantizer.Scale().item<float>(), 1e-6);
        Assert.AreEqual(0f, integers.min().item<float>());
        Assert.AreEqual(7f, integers.max().item<float>());
        Assert.HasCount(8, integers.data<float>().Distinct().ToArray());
    }

    /// <summary>The rules of quantization-notes: y = s * clamp(round(x / s)), s = T / N(b), N = 2^b - 1 (unsigned).</summary>
    [TestMethod]
    public void GradientsFollowTheStraightThroughRulesInRange()
    {
        const double threshold = 2.0, x0 = 0.7;
        const int b = 4;
        var (quantizer, x) = GradientCase(threshold, b, x0);
        using var y = quantizer.forward(x);
        y.backward();

        double n = (1 << b) - 1, s = threshold / n, u = x0 / s, q = Math.Round(u), r = x0 - s * q;
        Assert.AreEqual(1.0, x.grad!.item<float>(), 1e-6, "dy/dx in range");
        Assert.AreEqual((q - u) / n, quantizer.LearnedThreshold!.Value.grad!.item<float>(), 1e-5, "dy/dT in range");
        double expectedBitGradient = r * Math.Log(2) * Math.Pow(2, b) / (Math.Pow(2, b) - 1);
        Assert.AreEqual(expectedBitGradient, quantizer.Bitwidth.Offset.grad!.item<float>(), 1e-5, "dy/db in range");
        Assert.AreNotEqual(0.0, quantizer.Bitwidth.Offset.grad!.item<float>());
    }

    [TestMethod]
    public void GradientsThroughAClampedValueGoToTheThresholdOnly()
    {
        var (quantizer, x) = GradientCase(threshold: 2.0, b: 4, x0: 3.1);
        using var y = quantizer.forward(x);
        y.backward();
        Assert.AreEqual(2.0, y.item<float>(), 1e-6);
        Assert.AreEqual(0.0, x.grad!.item<float>(), "dy/dx clamped");
        Assert.AreEqual(1.0, quantizer.LearnedThreshold!.Value.grad!.item<float>(), 1e-6, "dy/dT clamped");
        Assert.AreEqual(0.0, quantizer.Bitwidth.Offset.grad!.item<float>(), 1e-6, "dy/db clamped");
    }

    [TestMethod]
    public void ANegativeWeightClampedAtMinusTGetsGradientOnTheThresholdOnly()
    {
        using var quantizer = new WeightQuantizer("w", [1, 2], 0, new BitwidthOptions(Initial: 4), WeightScaling.LearnedThreshold);
        quantizer.LearnedThreshold!.InitializeFrom(tensor(1f));
        using var weight = tensor(new[] { -1.5f, 0.4f }, requires_grad: true).reshape(1, 2).detach().requires_grad_(true);
        using var y = quantizer.forward(weight);
        y[0, 0].backward();
        Assert.AreEqual(-1.0, y[0, 0].item<float>(), 1e-6);
        Assert.AreEqual(0.0, weight.grad![0, 0].item<float>(), "dy/dw clamped");
        Assert.AreEqual(-1.0, quantizer.LearnedThreshold.Value.grad!.sum().item<float>(), 1e-6, "dy/dT at -T");
        Assert.AreEqual(0.0, quantizer.Bitwidth.Offset.grad!.item<float>(), 1e-6, "dy/db clamped");
    }

    /// <summary>
    /// The fused op against the same quantizer written with plain autograd ops (round_ste, a clamp that
    /// routes a clamped value's gradient to its bound): on whole tensors with values in range and clamped
    /// at both ends, per-channel and per-tensor, every gradient (x, T, bitwidth offset) must agree.
    /// </summary>
    [TestMethod]
    public void TheFusedOpsGradientsMatchThePlainAutogradQuantizer()
    {
        manual_seed(5);
        using var weights = new WeightQuantizer("w", [3, 8], 0, new BitwidthOptions(Initial: 3), WeightScaling.LearnedThreshold);
        weights.LearnedThreshold!.InitializeFrom(tensor(new[] { 0.5f, 1f, 1.5f }).reshape(3, 1));
        AssertSameGradients(weights, weights.LearnedThreshold, randn(3, 8));
        using var activations = new ActivationQuantizer("a", new BitwidthOptions(Initial: 4), new ActivationThresholdOptions(CalibrationBatches: 1));
        activations.LearnedThreshold!.InitializeFrom(tensor(1.2f));
        AssertSameGradients(activations, activations.LearnedThreshold, randn(2, 3, 5, 5));
    }

    /// <summary>
    /// The max-abs threshold's own backward against autograd's clamp_min(amax(|x|)): a tie splits the gradient
    /// evenly with the signs kept, an all-zero channel (held at the floor) gets none; along either channel axis.
    /// </summary>
    [TestMethod]
    public void TheMaxAbsThresholdsGradientIsAutogradsAmaxGradient()
    {
        using var scope = NewDisposeScope();
        var values = tensor(new[] { 0.5f, -2f, 2f, 1f, -3f, 1f, 0.2f, 0f, 0f, 0f, 0f, 0f }).reshape(3, 4);
        var upstream = tensor(new[] { 0.7f, -1.3f, 2f }).reshape(3, 1);
        Tensor Gradient(Tensor start, Func<Tensor, Tensor> threshold)
        {
            var x = start.detach().requires_grad_(true);
            (threshold(x) * upstream.reshape(threshold(x).shape)).sum().backward();
            return x.grad!;
        }
        var expected = tensor(new[] { 0f, -0.35f, 0.35f, 0f, 1.3f, 0f, 0f, 0f, 0f, 0f, 0f, 0f }).reshape(3, 4);
        var plain = Gradient(values, x => x.abs().amax([1], keepdim: true).ClampMin(1e-8));
        Assert.IsTrue(plain.allclose(expected), "the hand-computed case is autograd's");
        Assert.IsTrue(Gradient(values, x => MaxAbsThreshold.PerChannel(x, 0)).allclose(expected, rtol: 1e-6, atol: 1e-7), "channels on axis 0");
        Assert.IsTrue(Gradient(values.t(), x => MaxAbsThreshold.PerChannel(x, 1)).allclose(expected.t(), rtol: 1e-6, atol: 1e-7), "channels on axis 1");
    }

    /// <summary>
    /// A max-abs weight quantizer (nothing clamps, so the op skips its mask) against the same quantizer written with
    /// plain autograd ops: the weights' gradient (straight through plus the threshold's share) and the bitwidth's agree.
    /// </summary>
    [TestMethod]
    public void TheMaxAbsWeightQuantizersGradientsMatchThePlainAutogradQuantizer()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        using var quantizer = new WeightQuantizer("w", [4, 2, 3, 3], 0, new BitwidthOptions(Initial: 3), WeightScaling.MaxAbs);
        var values = randn(4, 2, 3, 3);
        var upstream = randn(4, 2, 3, 3);
        Tensor[] Gradients(Func<Tensor, Tensor> quantize)
        {
            var x = values.detach().requires_grad_(true);
            quantizer.Bitwidth.Offset.grad = null;
            (quantize(x) * upstream).sum().backward();
            return [x.grad!.clone(), quantizer.Bitwidth.Offset.grad!.clone()];
        }
        var fused = Gradients(quantizer.forward);
        var plain = Gradients(x =>
        {
            var b = quantizer.Bitwidth.Bits();
            var scale = x.abs().amax([1, 2, 3], keepdim: true).ClampMin(1e-8) / quantizer.Range.Max(b);
            return IntQuant.RoundSte(x / scale) * scale;
        });
        Assert.IsTrue(fused[0].allclose(plain[0], rtol: 1e-4, atol: 1e-5), $"dy/dw: fused {fused[0].sum().item<float>()}, plain {plain[0].sum().item<float>()}");
        Assert.AreEqual(plain[1].item<float>(), fused[1].item<float>(), 1e-4, "dy/db");
    }

    private static void AssertSameGradients(Quantizer quantizer, LearnedThreshold threshold, Tensor values)
    {
        using var scope = NewDisposeScope();
        var upstream = randn(values.shape);
        Tensor[] Gradients(Func<Tensor, Tensor> quantize)
        {
            var x = values.detach().requires_grad_(true);
            threshold.Value.grad = null;
            quantizer.Bitwidth.Offset.grad = null;
            (quantize(x) * upstream).sum().backward();
            return [x.grad!.clone(), threshold.Value.grad!.clone(), quantizer.Bitwidth.Offset.grad!.clone()];
        }
        var fused = Gradients(quantizer.forward);
        var plain = Gradients(x =>
        {
            var b = quantizer.Bitwidth.Bits();
            var (min, max) = (quantizer.Range.Min(b), quantizer.Range.Max(b));
            var scale = threshold.Value / max;
            var rounded = IntQuant.RoundSte(x / scale);
            return rounded.where(rounded <= max, max).where(rounded >= min, min) * scale;
        });
        using var codes = quantizer.Integers(values);
        Assert.IsTrue(codes.eq(codes.max()).any().item<bool>() && codes.eq(codes.min()).any().item<bool>(), "the case must clamp at both ends");
        string[] names = ["dy/dx", "dy/dT", "dy/db"];
        for (int i = 0; i < names.Length; i++)
            Assert.IsTrue(fused[i].allclose(plain[i], rtol: 1e-4, atol: 1e-5), $"{names[i]}: fused {fused[i].sum().item<float>()}, plain {plain[i].sum().item<float>()}");
    }

    private static (ActivationQuantizer Quantizer, Tensor X) GradientCase(double threshold, int b, double x0)
    {
        var quantizer = new ActivationQuantizer("a", new BitwidthOptions(Initial: b), new ActivationThresholdOptions(CalibrationBatches: 1));
        quantizer.LearnedThreshold!.InitializeFrom(tensor((float)threshold));
        var x = tensor((float)x0, requires_grad: true);
        return (quantizer, x);
    }

    [TestMethod]
    public void ThresholdCalibratesFromTheFirstBatchesThenFreezesItsStatistics()
    {
        using var quantizer = new ActivationQuantizer("a", new BitwidthOptions(), new ActivationThresholdOptions(CalibrationBatches: 2, Percentile: 1));
        quantizer.train();
        quantizer.forward(tensor(new[] { 0f, 1f, 4f })).Dispose();
        quantizer.forward(tensor(new[] { 0f, 2f })).Dispose();
        Assert.AreEqual(3.0, quantizer.LearnedThreshold!.Value.item<float>(), 1e-6, "mean of the batch maxima 4 and 2");
        quantizer.forward(tensor(new[] { 0f, 100f })).Dispose();
        Assert.AreEqual(3.0, quantizer.LearnedThreshold.Value.item<float>(), 1e-6, "calibration is over");
        Assert.IsTrue(quantizer.LearnedThreshold.Calibrated);
    }

    [TestMethod]
    public void CalibrationStateSurvivesMovingTheModuleToAnotherType()
    {
        using var threshold = new LearnedThreshold("t", [], calibrationBatches: 1, percentile: 1);
        threshold.train();
        threshold.For(tensor(new[] { 0f, 3f })).Dispose();
        TorchSharp.ModuleExtensionMethods.to(threshold, ScalarType.Float64);
        Assert.IsTrue(threshold.Calibrated);
        Assert.AreEqual(3.0, threshold.Value.item<double>());
    }
}
