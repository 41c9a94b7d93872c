namespace QuantUNet.Torch.Quantization;

/// <summary>How a weight quantizer finds the threshold of each output channel.</summary>
public enum WeightScaling
{
    /// <summary>max |w| of the channel, recomputed every step: nothing ever clips.</summary>
    MaxAbs,

    /// <summary>A trained threshold per channel, initialised from max |w|: may learn to clip outliers.</summary>
    LearnedThreshold,
}
