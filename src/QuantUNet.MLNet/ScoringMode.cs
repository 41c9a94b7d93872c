namespace QuantUNet.MLNet;

/// <summary>How a <see cref="QuantUNetTransformer"/> computes its scores.</summary>
/// <remarks>Each mode is served by a scorer in its own assembly, found when a model first scores, so that an app
/// references only the engine its mode needs: the TorchSharp modes need <c>QuantUNet.MLNet.Training</c>,
/// <see cref="Integer"/> only this assembly. Switch a trained or loaded model with <see cref="QuantUNetTransformer.WithScoringMode"/>.</remarks>
public enum ScoringMode
{
    /// <summary>
    /// The TorchSharp model with its quantizers on: weights and activations rounded to the learned bitwidths,
    /// arithmetic in float, exactly as quantization-aware training ran it. The default for a quantized model whose integer
    /// export was refused (<see cref="SegmentationScorer.DefaultMode"/>).
    /// </summary>
    FakeQuantized,

    /// <summary>The TorchSharp model with every quantizer off: the float baseline, or a quantized model's float weights.</summary>
    Float,

    /// <summary>
    /// The pure C# integer engine (QuantUNet.Integer) on the integer model exported from a quantized model at training:
    /// integer arithmetic only, no TorchSharp. <c>PredictedLabel</c> is the final accumulator &gt; 0 and <c>Score</c>
    /// sigmoid(accumulator x scale). Masks equal <see cref="FakeQuantized"/>'s except where the exact logit is 0, which
    /// is background here (sigmoid(0) = 0.5 is not above one half) while float32 rounding can put it either side.
    /// The float baseline has no integer form.
    /// </summary>
    Integer,
}
