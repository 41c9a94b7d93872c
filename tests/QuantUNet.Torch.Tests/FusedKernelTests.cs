using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

/// <summary>
/// The fused CPU kernels against the composed tensor ops they replace: forward values and the gradient for x bit for
/// bit, the step's gradient sums to float32 rounding, over several work items, ragged tails, ties at exactly half a
/// step and values clamped at both bounds.
/// </summary>
[TestClass]
public sealed class FusedKernelTests
{
    /// <summary>Three work items and a tail that is not a whole vector.</summary>
    private const long Ragged = 3 * 65536 + 13;

    public static IEnumerable<object[]> Layouts =>
    [
        ["per tensor, unsigned", new long[] { Ragged }, -1, 0f, 15f],
        ["per channel on axis 0 (convolution weights), signed", new long[] { 5, 7, 3, 3 }, 0, -7f, 7f],
        ["per channel on axis 1, runs of 9", new long[] { 4, 6, 3, 3 }, 1, -3f, 3f],
        ["per channel, channels spanning work items", new long[] { 3, 40000 }, 0, -127f, 127f],
    ];

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void TheForwardIsTheComposedOpsBitForBit(string layout, long[] shape, int axis, float low, float high)
    {
        using var scope = NewDisposeScope();
        var (x, scale) = Case(shape, axis, high);
        Assert.IsTrue(FakeQuantKernel.Supports(x, scale), layout);
        var (output, clamped) = FakeQuantKernel.Forward(x, scale, low, high);
        var rounded = (x / scale).round();
        var expected = rounded.ClampBetween(low, high) * scale;
        Assert.IsTrue(Same(output, expected), $"{layout}: {output.ne(expected).sum().item<long>()} values differ");
        Assert.IsTrue(clamped);
        Assert.IsTrue((x / scale).frac().abs().EqualTo(0.5).any().item<bool>(), "the case must hold ties at half a step");
    }

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void TheBackwardIsTheComposedGradient(string layout, long[] shape, int axis, float low, float high)
    {
        using var scope = NewDisposeScope();
        var (x, scale) = Case(shape, axis, high);
        var gradient = randn(shape, generator: new TorchSharp.torch.Generator(7));
        var (gradX, gradScale, gradMax) = FakeQuantKernel.Backward(gradient, x, scale, low, high, clamped: true);

        var u = (x / scale).to_type(ScalarType.Float64);
        var q = u.round().ClampBetween(low, high);
        var inRange = u.round().eq(q);
        Assert.IsTrue(Same(gradX, gradient * inRange), $"{layout}: dx is g where in range, else 0");
        var g = gradient.to_type(ScalarType.Float64);
        var w = q.Minus(u).where(inRange, q);
        var reduced = Enumerable.Range(0, shape.Length).Where(a => a != axis).Select(a => (long)a).ToArray();
        var expectedScale = axis < 0 ? (g * w).sum() : (g * w).sum(reduced, keepdim: true);
        Assert.IsTrue(gradScale.to_type(ScalarType.Float64).allclose(expectedScale.reshape(scale.shape), rtol: 1e-5, atol: 1e-3), $"{layout}: ds");
        var clampedSum = axis < 0 ? (g * q * inRange.logical_not()).sum() : (g * q * inRange.logical_not()).sum(reduced, keepdim: true);
        double expectedMax = (clampedSum * scale.to_type(ScalarType.Float64)).sum().item<double>() / high;
        Assert.AreEqual(expectedMax, gradMax.item<float>(), Math.Abs(expectedMax) * 1e-5 + 1e-4, $"{layout}: dmax");
    }

    [TestMethod]
    public void NothingClampedPassesTheGradientThroughAsItIs()
    {
        using var scope = NewDisposeScope();
        var x = rand(1000).Times(10);
        var scale = tensor(1f);
        var (_, clamped) = FakeQuantKernel.Forward(x, scale, 0, 15);
        Assert.IsFalse(clamped);
        var gradient = randn(1000);
        var (gradX, _, gradMax) = FakeQuantKernel.Backward(gradient, x, scale, 0, 15, clamped: false);
        Assert.IsTrue(Same(gradX, gradient));
        Assert.AreEqual(0f, gradMax.item<float>());
    }

    /// <summary>Work items are fixed in size, so the float64 sums do not depend on how many threads ran them.</summary>
    [TestMethod]
    public void TheGradientSumsAreTheSameOnOneThreadAndOnTwo()
    {
        using var scope = NewDisposeScope();
        var (x, scale) = Case([Ragged], -1, 15);
        var gradient = randn(Ragged, generator: new TorchSharp.torch.Generator(3));
        int threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = FakeQuantKernel.Backward(gradient, x, scale, 0, 15, true);
            set_num_threads(2);
            var two = FakeQuantKernel.Backward(gradient, x, scale, 0, 15, true);
            Assert.AreEqual(one.GradScale.item<float>(), two.GradScale.item<float>());
            Assert.AreEqual(one.GradMax.item<float>(), two.GradMax.item<float>());
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [TestMethod]
    public void TheKernelsLeaveOtherTensorsToTheComposedOps()
    {
        using var scope = NewDisposeScope();
        Assert.IsFalse(FakeQuantKernel.Supports(randn(8, dtype: ScalarType.Float64), tensor(0.1, dtype: ScalarType.Float64)), "float64");
        var transposedWeights = randn(8, 4, 2, 2);
        Assert.IsFalse(FakeQuantKernel.Supports(transposedWeights, ones(1, 4, 1, 1)), "runs of 4");
        Assert.IsTrue(MaxAbsKernel.Supports(transposedWeights), "runs of 4: the weight kernels take them");
        Assert.IsFalse(MaxAbsKernel.Supports(randn(4, 2, 3, 3, dtype: ScalarType.Float64)), "float64");
        Assert.IsTrue(FoldedWeightKernel.Supports(transposedWeights, null), "runs of 4");
        Assert.IsFalse(FoldedWeightKernel.Supports(randn(4, 2, 3, 3), ones(4, dtype: ScalarType.Float64)), "a float64 gain");
        Assert.IsTrue(FoldedWeightKernel.Supports(randn(4, 2, 3, 3), ones(4)));
    }

    /// <summary>Maxima and their gradient against autograd's clamp_min(amax(|x|)), with ties of both signs and an all-zero channel.</summary>
    [TestMethod]
    [DataRow(0, 3)]
    [DataRow(1, 3)]
    [DataRow(1, 2, DisplayName = "transposed-convolution weights: runs of 4")]
    public void TheMaxAbsKernelIsAutogradsAmax(int axis, int kernelSize)
    {
        using var scope = NewDisposeScope();
        var x = randn(6, 5, kernelSize, kernelSize, generator: new TorchSharp.torch.Generator(11));
        using (no_grad())
        {
            // Channel 1 along the axis: a tie between +5 and -5; channel 2: all zero (held at the floor).
            x.select(axis, 1)[0, 0, 0] = tensor(5f);
            x.select(axis, 1)[2, 1, 1] = tensor(-5f);
            x.select(axis, 2).zero_();
        }
        var reduced = Enumerable.Range(0, 4).Where(a => a != axis).Select(a => (long)a).ToArray();
        var upstream = randn(x.abs().amax(reduced, keepdim: true).shape);
        var maxima = MaxAbsKernel.Find(x, axis);
        var plainX = x.detach().requires_grad_(true);
        var plain = plainX.abs().amax(reduced, keepdim: true).ClampMin(1e-8);
        (plain * upstream).sum().backward();
        Assert.IsTrue(Same(MaxAbsKernel.Values(maxima, axis).ClampMin(1e-8), plain.detach()), "the maxima");
        Assert.AreEqual(2, maxima.AtLargest.Count(m => m.Channel == 1), "the tie");
        var gradient = MaxAbsKernel.Gradient(maxima, upstream, 1e-8f);
        Assert.IsTrue(gradient.allclose(plainX.grad!, rtol: 1e-6, atol: 1e-7), "the gradient");
        Assert.AreEqual(0f, gradient.select(axis, 2).abs().sum().item<float>(), "none for the channel at the floor");
    }

    /// <summary>
    /// The fused weight path (fold, max-abs threshold, quantize as one node) against the composed ops on every layer it
    /// takes of a width-16 U-Net (layers over several work items) with trained-looking BatchNorms (negative gains among
    /// them) and a tie of both signs at a channel's largest magnitude: values and steps bit for bit, gradients for the
    /// weights, the BatchNorm scale and the bitwidth as the composed graph gives them, whichever outputs the loss uses.
    /// </summary>
    [TestMethod]
    [DataRow(true, true, DisplayName = "both outputs used, as a layer uses them")]
    [DataRow(true, false, DisplayName = "the step unused")]
    [DataRow(false, true, DisplayName = "the values unused")]
    public void TheFoldedWeightPathIsTheComposedOnes(bool valueUsed, bool stepUsed)
    {
        using var model = SegmentationTrainer.CreateModel(new ArchitectureOptions { InputChannels = 1, BaseWidth = 16, Quantize = true }, 7);
        BatchNormStatistics.Randomize(model, 5);
        var generator = new TorchSharp.torch.Generator(9);
        int fused = 0;
        foreach (var layer in model.Layers)
        {
            using var scope = NewDisposeScope();
            var quantizer = layer.WeightQuantizer;
            var gain = layer.FoldGain();
            if (!FoldedWeightKernel.Supports(layer.Weight, gain)) continue;
            fused++;
            using (no_grad())
            {
                var channel = layer.Weight[0].view(-1);
                var largest = channel.abs().max().item<float>();
                channel[0] = tensor(largest * 2);
                channel[-1] = tensor(-largest * 2);
            }
            var (value, step) = quantizer.FakeQuantize(layer.Weight, gain);
            var (expectedValue, expectedStep) = quantizer.FakeQuantize(layer.FoldedFloatWeights().Weight);
            Assert.IsTrue(Same(value, expectedValue), $"{layer.GetName()}: {value.ne(expectedValue).sum().item<long>()} values differ");
            Assert.IsTrue(Same(step, expectedStep), $"{layer.GetName()}: the steps");

            var upstreamValue = randn(value.shape, generator: generator);
            var upstreamStep = randn(step.shape, generator: generator);
            Tensor Loss(Tensor v, Tensor s) => (valueUsed, stepUsed) switch
            {
                (true, true) => (v * upstreamValue).sum().Plus((s * upstreamStep).sum()),
                (true, false) => (v * upstreamValue).sum(),
                _ => (s * upstreamStep).sum(),
            };
            List<Tensor> inputs = [layer.Weight, quantizer.Bitwidth.Offset, .. layer.Norm is { } norm ? new[] { norm.weight! } : []];
            var gradients = autograd.grad([Loss(value, step)], inputs);
            var expected = autograd.grad([Loss(expectedValue, expectedStep)], inputs);
            Assert.IsGreaterThan(0, expected[0].abs().max().item<float>());
            for (int i = 0; i < inputs.Count; i++)
            {
                float scale = Math.Max(expected[i].abs().max().item<float>(), 1e-6f);
                float error = (gradients[i] - expected[i]).abs().max().item<float>();
                Assert.IsLessThan(1e-4f * scale, error, $"{layer.GetName()}: gradient {i} off by {error} (largest {scale})");
            }
        }
        Assert.AreEqual(23, fused, "every layer: the 3x3 and 1x1 convolutions and the four transposed convolutions (runs of 4)");
    }

    /// <summary>
    /// The model's forward pass computes its 46 widths as one stacked computation (<see cref="QuantizerWidth"/>); each
    /// layer run on its own computes its own. Both give the same output and the same gradient for every parameter, bit
    /// for bit, with widths spread over their ranges (one at its minimum, where |offset| has no gradient), and the
    /// bitwidth term is the per-width mean it replaced.
    /// </summary>
    [TestMethod]
    public void TheStackedWidthsAreEachQuantizersOwn()
    {
        using var model = SegmentationTrainer.CreateModel(new ArchitectureOptions { InputChannels = 1, BaseWidth = 8, Quantize = true }, 3);
        BatchNormStatistics.Randomize(model, 4);
        model.eval(); // no threshold calibration, so both passes see the same thresholds
        var quantizers = model.Layers.SelectMany(l => new Quantizer[] { l.InputQuantizer, l.WeightQuantizer }).ToList();
        using (no_grad())
            for (int i = 0; i < quantizers.Count; i++)
            {
                var bitwidth = quantizers[i].Bitwidth;
                bitwidth.Offset.copy_(tensor((float)(i % 7 * 0.37 % (bitwidth.MaxBits - bitwidth.MinBits))));
            }
        var generator = new TorchSharp.torch.Generator(5);
        var images = rand([2, 1, 32, 32], generator: generator);
        var upstream = randn([2, 1, 32, 32], generator: generator);
        var named = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        List<Tensor> parameters = [.. named.Select(p => (Tensor)p.parameter)];

        var stacked = model.forward(images);
        var perLayer = model.Execute(model.Normalize(images), model.Apply);
        Assert.IsTrue(Same(stacked, perLayer), "the outputs");
        var gradients = autograd.grad([(stacked * upstream).sum()], parameters, allow_unused: true);
        var expected = autograd.grad([(perLayer * upstream).sum()], parameters, allow_unused: true);
        for (int i = 0; i < parameters.Count; i++)
            Assert.IsTrue(Same(gradients[i], expected[i]), $"the gradient of {named[i].name}");
        Assert.IsTrue(quantizers.Any(q => q.Bitwidth.Offset.item<float>() == 0), "a width at its minimum");

        var widths = model.Layers.Select(l => l.WeightQuantizer.Bitwidth).ToList();
        var offsets = widths.Select(w => (Tensor)w.Offset).ToList();
        var term = BitwidthLoss.Compute(model, new TrainingOptions { PenalizeActivationBits = false });
        var perWidth = stack(widths.Select(w => w.Bits().DividedBy(w.MaxBits))).mean();
        Assert.AreEqual(perWidth.item<float>(), term.item<float>(), "the bitwidth term");
        var termGradients = autograd.grad([term], offsets);
        var perWidthGradients = autograd.grad([perWidth], offsets);
        for (int i = 0; i < offsets.Count; i++) Assert.IsTrue(Same(termGradients[i], perWidthGradients[i]), $"the term's gradient for width {i}");
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>Normal values spread over the range with some beyond both bounds, and 64 exactly half a step off the grid.</summary>
    private static (Tensor X, Tensor Scale) Case(long[] shape, int axis, float high)
    {
        var generator = new TorchSharp.torch.Generator(5);
        Tensor scale;
        if (axis < 0)
        {
            scale = tensor(0.125f);
        }
        else
        {
            var scaleShape = Enumerable.Repeat(1L, shape.Length).ToArray();
            scaleShape[axis] = shape[axis];
            // Powers of two, so that (k + 0.5) * s / s is exactly a tie.
            scale = exp2(-randint(2, 6, scaleShape, generator: generator).to_type(ScalarType.Float32));
        }
        var x = randn(shape, generator: generator).Times(high * 0.6f) * scale;
        var flat = x.view(-1);
        using (no_grad())
        {
            // Ties: (k + 0.5) steps, on both sides of zero, which round half to even must send to the even neighbour.
            var steps = scale.expand(shape).reshape(-1);
            for (long i = 0; i < 64; i++) flat[i].FillInPlace((i - 32 + 0.5f) * steps[i].item<float>());
        }
        return (x, scale);
    }
}
