using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// How closely the integer engine's final accumulators follow a TorchSharp model's logits on the same
/// images. A logit divided by its accumulator step (s_in * s_w of the final layer) is the accumulator
/// the float graph implies; the error is measured in those units (LSBs).
/// </summary>
/// <param name="MaskDifferences">Pixels where (accumulator &gt; 0) differs from (logit &gt; 0).</param>
/// <param name="MaskDifferencesAtZero">
/// Those of them whose accumulator is exactly 0: the exact logit is 0 (background, as sigmoid is 0.5,
/// not above), and the float model's sign there is its rounding noise.
/// </param>
/// <param name="MaxAccumulatorError">Largest |accumulator - logit / step|.</param>
/// <param name="PixelsBeyondHalfAnLsb">Pixels whose logit / step does not round to the engine's accumulator.</param>
/// <param name="Pixels">Pixels compared (every pixel of every image).</param>
public sealed record IntegerAgreement(long Pixels, long MaskDifferences, long MaskDifferencesAtZero, double MaxAccumulatorError, long PixelsBeyondHalfAnLsb)
{
    /// <summary>Share of pixels whose mask bit agrees, in [0, 1]; 1 over zero pixels.</summary>
    public double MaskAgreement => Pixels == 0 ? 1 : 1 - (double)MaskDifferences / Pixels;

    /// <param name="accumulators">The engine's final accumulators, images back to back.</param>
    /// <param name="logits">The model's logits for the same images, [N, 1, H, W].</param>
    /// <param name="step">The logit of one accumulator unit (<c>IntegerModel.ScoreScale</c>).</param>
    public static IntegerAgreement Of(ReadOnlySpan<int> accumulators, Tensor logits, double step)
    {
        using var values = logits.to_type(ScalarType.Float64).flatten();
        var floats = values.data<double>();
        if (floats.Count != accumulators.Length)
            throw new ArgumentException($"{accumulators.Length} accumulators against {floats.Count} logits.", nameof(logits));
        long differences = 0, atZero = 0, beyondHalf = 0;
        double maxError = 0;
        for (int i = 0; i < accumulators.Length; i++)
        {
            double logit = floats[i], error = Math.Abs(accumulators[i] - logit / step);
            if (accumulators[i] > 0 != logit > 0)
            {
                differences++;
                if (accumulators[i] == 0) atZero++;
            }
            if (error > 0.5) beyondHalf++;
            maxError = Math.Max(maxError, error);
        }
        return new IntegerAgreement(accumulators.Length, differences, atZero, maxError, beyondHalf);
    }
}
