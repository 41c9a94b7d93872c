using QuantUNet.Integer;

namespace QuantUNet.Torch.Quantization;

/// <summary>How a quantizer's bitwidth starts and where it may go.</summary>
/// <param name="Initial">The starting width (the offset starts at Initial - Min).</param>
/// <param name="Min">The smallest width training may reach.</param>
/// <param name="Max">The largest width; the offset is projected back below it.</param>
/// <param name="Trainable">False pins the width at Initial.</param>
public sealed record BitwidthOptions(int Initial = 8, int Min = 2, int Max = 8, bool Trainable = true)
{
    internal LearnedBitwidth Create(string name) => new(name, Initial, Min, Max, Trainable);

    /// <summary>
    /// Refuses, naming <paramref name="setting"/>, widths outside <paramref name="bounds"/> (what the integer datapath carries),
    /// so that a bad setting fails when the model is made rather than at export after training.
    /// </summary>
    internal void Validate(BitwidthBounds bounds, string setting)
    {
        if (!bounds.Contains(Min) || !bounds.Contains(Max) || Min > Max || Initial < Min || Initial > Max)
            throw new ArgumentOutOfRangeException(setting, this,
                $"{setting}: widths {Min}..{Max} starting at {Initial} must lie within {bounds} bits, the range the integer model carries.");
    }
}
