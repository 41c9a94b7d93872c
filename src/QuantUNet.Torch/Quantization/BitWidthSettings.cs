namespace QuantUNet.Torch.Quantization;

/// <summary>How a quantizer's bitwidth starts and where it may go.</summary>
/// <param name="Initial">The starting width (the offset starts at Initial - Min).</param>
/// <param name="Min">The smallest width training may reach.</param>
/// <param name="Max">The largest width; the offset is projected back below it.</param>
/// <param name="Trainable">False pins the width at Initial.</param>
public sealed record BitWidthSettings(int Initial = 8, int Min = 2, int Max = 8, bool Trainable = true)
{
    internal LearnedBitWidth Create(string name) => new(name, Initial, Min, Max, Trainable);
}
