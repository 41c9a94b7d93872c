using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// Clamps with numeric bounds whose native Scalars stay alive for the whole call. An implicit double -> Scalar is
/// unreachable once its handle is read, so the garbage collector may finalize (free) it while libtorch still reads
/// it: a CI run failed that way in clamp_min ("Expected false to be true" in c10::Scalar::toDouble).
/// </summary>
internal static class ScalarArguments
{
    /// <summary>x + value, the Scalar held for the call.</summary>
    public static Tensor Plus(this Tensor x, double value) => Held(value, x.add);

    /// <summary>x - value, the Scalar held for the call.</summary>
    public static Tensor Minus(this Tensor x, double value) => Held(value, x.sub);

    /// <summary>x / value, the Scalar held for the call.</summary>
    public static Tensor DividedBy(this Tensor x, double value) => Held(value, scalar => x.div(scalar));

    /// <summary>x * value, the Scalar held for the call.</summary>
    public static Tensor Times(this Tensor x, double value) => Held(value, x.mul);

    public static Tensor ClampMin(this Tensor x, double min) => Held(min, x.clamp_min);

    public static Tensor ClampBetween(this Tensor x, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return x.clamp(low, high);
    }

    /// <summary>Applies <paramref name="operation"/> to <paramref name="value"/> as a Scalar that lives until it returns.</summary>
    private static Tensor Held(double value, Func<Scalar, Tensor> operation)
    {
        using var scalar = value.ToScalar();
        return operation(scalar);
    }
}
