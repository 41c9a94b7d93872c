namespace QuantUNet.MLNet;

/// <summary>How a <see cref="QuantUNetTransformer"/> computes its scores.</summary>
/// <remarks>Each mode is served by a scorer in its own assembly, found when a model first scores, so that an app
/// references only the engine its mode needs (the TorchSharp modes need <c>QuantUNet.MLNet.Training</c>).</remarks>
public enum ScoringMode
{
    /// <summary>
    /// The TorchSharp model with its quantizers on: weights and activations rounded to the learned bitwidths,
    /// arithmetic in float, exactly as quantization-aware training ran it. The default for a quantized model.
    /// </summary>
    FakeQuantized,

    /// <summary>The TorchSharp model with every quantizer off: the float baseline, or a quantized model's float weights.</summary>
    Float,
}
