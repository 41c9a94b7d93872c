using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// Tensor arithmetic whose native Scalars stay alive for the whole libtorch call. TorchSharp 0.107 makes a Scalar for
/// every number passed to an op (<c>x * 0.5</c>, <c>x.clamp(0, 1)</c>, <c>mask &gt; 0</c>) and for the alpha of every
/// add and subtract (<c>a + b</c> is <c>a.add(b, alpha: 1)</c>). Such a Scalar is unreachable once its handle is read,
/// so a garbage collection during the call may finalize (free) it while libtorch still reads it: CI test hosts crashed
/// that way in clamp_min, in add_scalar and in a weight initialisation's mul_scalar. The tests' ImplicitScalarScan
/// fails on any unheld Scalar in the libraries.
/// </summary>
internal static class ScalarArguments
{
    /// <summary>The alpha of every add and subtract: held by a static field, so never finalized.</summary>
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>x + y.</summary>
    public static Tensor Plus(this Tensor x, Tensor y) => x.add(y, One);

    /// <summary>x - y (TorchSharp's sub has no alpha; here for symmetry with <see cref="Plus(Tensor, Tensor)"/>).</summary>
    public static Tensor Minus(this Tensor x, Tensor y) => x.sub(y);

    /// <summary>x += y, in place.</summary>
    public static Tensor PlusInPlace(this Tensor x, Tensor y) => x.add_(y, One);

    /// <summary>x += alpha * y, in place.</summary>
    public static Tensor PlusInPlace(this Tensor x, Tensor y, double alpha) => Held(alpha, scalar => x.add_(y, scalar));

    /// <summary>x + value.</summary>
    public static Tensor Plus(this Tensor x, double value) => Held(value, scalar => x.add(scalar, One));

    /// <summary>x - value.</summary>
    public static Tensor Minus(this Tensor x, double value) => Held(value, x.sub);

    /// <summary>value - x.</summary>
    public static Tensor SubtractedFrom(this Tensor x, double value) => Held(value, scalar => x.neg().add_(scalar, One));

    /// <summary>x / value.</summary>
    public static Tensor DividedBy(this Tensor x, double value) => Held(value, scalar => x.div(scalar));

    /// <summary>x /= value, in place.</summary>
    public static Tensor DivideInPlace(this Tensor x, double value) => Held(value, scalar => x.div_(scalar));

    /// <summary>x * value.</summary>
    public static Tensor Times(this Tensor x, double value) => Held(value, x.mul);

    /// <summary>x * value, in place.</summary>
    public static Tensor TimesInPlace(this Tensor x, double value) => Held(value, x.mul_);

    /// <summary>Sets every element of x to value, in place.</summary>
    public static Tensor FillInPlace(this Tensor x, double value) => Held(value, x.fill_);

    /// <summary>x &lt; value, as a bool tensor.</summary>
    public static Tensor Below(this Tensor x, double value) => Held(value, x.lt);

    /// <summary>x == value, as a bool tensor.</summary>
    public static Tensor EqualTo(this Tensor x, double value) => Held(value, x.eq);

    /// <summary>x &gt; value, as a bool tensor.</summary>
    public static Tensor Above(this Tensor x, double value) => Held(value, x.gt);

    /// <summary>max(x, min).</summary>
    public static Tensor ClampMin(this Tensor x, double min) => Held(min, x.clamp_min);

    /// <summary>max(x, min), in place.</summary>
    public static Tensor ClampMinInPlace(this Tensor x, double min) => Held(min, x.clamp_min_);

    /// <summary>x clamped to [min, max].</summary>
    public static Tensor ClampBetween(this Tensor x, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return x.clamp(low, high);
    }

    /// <summary>x clamped to [min, max], in place.</summary>
    public static Tensor ClampBetweenInPlace(this Tensor x, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return x.clamp_(low, high);
    }

    /// <summary>Applies <paramref name="operation"/> to <paramref name="value"/> as a Scalar that lives until it returns.</summary>
    private static Tensor Held(double value, Func<Scalar, Tensor> operation)
    {
        using var scalar = value.ToScalar();
        return operation(scalar);
    }
}
