namespace QuantUNet.Integer;

/// <summary>One image's result from <see cref="IntegerEngine.PredictStream"/>.</summary>
/// <param name="Index">The image's position in the input sequence.</param>
/// <param name="Mask">Row-major, 1 where the final accumulator is &gt; 0 (the logit is positive), else 0.</param>
/// <param name="Accumulators">The final layer's int32 accumulators: the logits in units of <paramref name="ScoreScale"/>.</param>
/// <param name="ScoreScale">The final layer's weight step times its input step: logit = accumulator * ScoreScale.</param>
public sealed record IntegerPrediction(int Index, byte[] Mask, int[] Accumulators, double ScoreScale)
{
    /// <summary>Foreground probabilities: sigmoid(accumulator * scale), the only float of the engine.</summary>
    public float[] Probabilities() => Accumulators.Select(a => IntegerEngine.Probability(a, ScoreScale)).ToArray();
}
