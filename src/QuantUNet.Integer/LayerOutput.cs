namespace QuantUNet.Integer;

/// <summary>
/// One consumer of a layer's int32 accumulators: the layer whose input they feed, requantised to that
/// layer's input step and width. A layer whose output goes to two places (an encoder layer: the next
/// encoder layer through max-pooling, and the decoder through the skip) has two outputs, each with
/// its own multipliers.
/// </summary>
/// <param name="Target">Index of the consuming layer (always after this one).</param>
/// <param name="ChannelOffset">Where these channels start in the consumer's input (concatenation).</param>
/// <param name="Pooled">2x2 max-pooling, stride 2, before the consumer (it commutes with requantisation).</param>
/// <param name="Multipliers">Per output channel: M = s_in * s_w[c] / s_target.</param>
public sealed record LayerOutput(int Target, int ChannelOffset, bool Pooled, IReadOnlyList<FixedPointMultiplier> Multipliers);
