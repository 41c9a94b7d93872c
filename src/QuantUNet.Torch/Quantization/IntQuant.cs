using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// The quantize op shared by every quantizer: <c>y = s * clamp(round(x / s), min, max)</c>, with the
/// straight-through gradients of Brevitas' integer quantizer. Rounding is <c>torch.round</c>, i.e.
/// round half to even; the integer engine reproduces it (see docs/quantization.md).
/// </summary>
public static class IntQuant
{
    /// <summary>Rounds in the forward pass and passes the gradient through unchanged.</summary>
    public static Tensor RoundSte(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.Plus(x.round().Minus(x).detach()).MoveToOuterDisposeScope();
    }

    /// <summary>The integer codes alone, without gradient (export, tests).</summary>
    public static Tensor Integers(Tensor x, Tensor scale, IntegerRange range, int bits)
    {
        using var _ = no_grad();
        var (min, max) = range.Bounds(bits);
        return (x / scale).round_().ClampBetweenInPlace(min, max);
    }

    /// <summary>
    /// Quantize and dequantize at step <paramref name="scale"/> (T / N(b), broadcastable against x).
    /// Gradients (quantization-notes): inside the range dy/dx = 1 and dy/ds = q - x/s; a clamped value
    /// takes dy/ds = q and dy/dbound = s, so with bound N(b) and s = T / N(b) its gradient on b cancels
    /// to 0 and on T is +-1. <paramref name="min"/> and <paramref name="max"/> are the bounds as tensors
    /// (functions of b) and <paramref name="bits"/> their current whole value.
    /// </summary>
    public static Tensor FakeQuantize(Tensor x, Tensor scale, Tensor min, Tensor max, IntegerRange range, int bits)
    {
        var (low, high) = range.Bounds(bits);
        return IntQuantFunction.apply(x, scale, min, max, (double)low, (double)high);
    }

    /// <summary>
    /// The op as one autograd node. The forward keeps for the backward w = (q - x/s) where in range, q where
    /// clamped, and, if any value clamped, the in-range mask m: dx = g m, ds = sum(g w). Clamped codes sit on a
    /// bound, +-N(b) or 0, so sum(g q) over the clamped ones, divided by N(b), is the gradient the bounds need
    /// for dy/db to cancel. Every pass over x counts (the op runs on every activation and weight of every step):
    /// on CPU float32 tensors <see cref="FakeQuantKernel"/> computes the same in one pass each way.
    /// </summary>
    private sealed class IntQuantFunction : autograd.SingleTensorFunction<IntQuantFunction>
    {
        public override string Name => "IntQuant";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, scale, min) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
            double low = (double)vars[4], high = (double)vars[5];
            ctx.save_data("high", high);
            ctx.save_data("minShape", min.shape);
            bool fused = FakeQuantKernel.Supports(x, scale);
            ctx.save_data("fused", fused);
            if (fused)
            {
                var (output, anyClamped) = FakeQuantKernel.Forward(x, scale, (float)low, (float)high);
                ctx.save_for_backward([x, scale]);
                ctx.save_data("clamped", anyClamped);
                ctx.save_data("low", low);
                return output;
            }
            var u = x / scale;
            var rounded = u.round();
            var q = rounded.ClampBetween(low, high);
            // A bool mask: a quarter of a float mask's memory, and no conversion pass; products promote it.
            var inRange = rounded.eq(q);
            // Nothing clamped (max-abs weights never clamp): the backward needs no mask and no bound gradient.
            bool clamped = !inRange.all().item<bool>();
            var w = clamped ? q.Minus(u.mul_(inRange)) : q.Minus(u);
            ctx.save_for_backward(clamped ? [w, scale, inRange] : [w, scale]);
            return q.mul_(scale);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
        {
            var saved = ctx.get_saved_variables();
            double high = (double)ctx.get_data("high");
            var gradMin = zeros((long[])ctx.get_data("minShape"), dtype: gradient.dtype);
            if ((bool)ctx.get_data("fused"))
            {
                var (input, step) = (saved[0], saved[1]);
                var (dx, ds, dmax) = FakeQuantKernel.Backward(gradient, input, step, (float)(double)ctx.get_data("low"), (float)high, (bool)ctx.get_data("clamped"));
                return [dx, ds, gradMin, dmax, null!, null!];
            }
            var (w, scale) = (saved[0], saved[1]);
            var gradScale = SumOfProducts(gradient, w, scale.shape);
            if (saved.Count == 2) return [gradient.alias(), gradScale, gradMin, zeros([], dtype: gradient.dtype), null!, null!];
            var gradX = gradient * saved[2];
            var inRangePart = SumOfProducts(gradX, w, scale.shape);
            // For the signed narrow range min = -max, so the bound gradient is passed through max alone.
            var gradMax = (gradScale.Minus(inRangePart) * scale).sum().DivideInPlace(high);
            return [gradX, gradScale, gradMin, gradMax, null!, null!]; // none for the two numeric bounds
        }

        /// <summary>
        /// sum(a * b) over the axes along which an operand of <paramref name="shape"/> was broadcast; for a single
        /// value one dot product, which reads a and b once and writes no product tensor.
        /// </summary>
        private static Tensor SumOfProducts(Tensor a, Tensor b, long[] shape) => shape.All(size => size == 1)
            ? a.reshape(-1).dot(b.reshape(-1)).reshape(shape)
            : SumTo(a * b, shape);

        /// <summary>Sums a gradient over the axes along which a smaller operand was broadcast.</summary>
        private static Tensor SumTo(Tensor gradient, long[] shape)
        {
            var axes = Enumerable.Range(0, shape.Length).Where(a => shape[a] == 1 && gradient.shape[a] != 1).Select(a => (long)a).ToArray();
            return axes.Length == 0 ? gradient : gradient.sum(axes, keepdim: true);
        }
    }
}
