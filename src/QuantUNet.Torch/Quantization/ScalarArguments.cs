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
    public static Tensor Plus(this Tensor x, double value)
    {
        using var scalar = value.ToScalar();
        return x.add(scalar);
    }

    /// <summary>x - value, the Scalar held for the call.</summary>
    public static Tensor Minus(this Tensor x, double value)
    {
        using var scalar = value.ToScalar();
        return x.sub(scalar);
    }

    /// <summary>x / value, the Scalar held for the call.</summary>
    public static Tensor DividedBy(this Tensor x, double value)
    {
        using var scalar = value.ToScalar();
        return x.div(scalar);
    }

    /// <summary>x * value, the Scalar held for the call.</summary>
    public static Tensor Times(this Tensor x, double value)
    {
        using var scalar = value.ToScalar();
        return x.mul(scalar);
    }

    public static Tensor ClampMin(this Tensor x, double min)
    {
        using var low = min.ToScalar();
        return x.clamp_min(low);
    }

    public static Tensor ClampBetween(this Tensor x, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return x.clamp(low, high);
    }
}
