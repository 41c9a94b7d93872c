using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A trainable bitwidth, parametrised as in Brevitas: <c>b = round_ste(|offset| + MinBits)</c>, kept
/// inside [MinBits, MaxBits]. The offset is projected back into range after each optimiser step
/// (<see cref="Project"/>) rather than clamped in the graph, so its gradient never dies at a bound.
/// </summary>
public sealed class LearnedBitwidth : nn.Module
{
    private readonly Parameter offset;

    public LearnedBitwidth(string name, int initialBits, int minBits = 2, int maxBits = 8, bool trainable = true)
        : base(name)
    {
        if (minBits < 1 || maxBits > 16 || minBits > maxBits)
            throw new ArgumentOutOfRangeException(nameof(minBits), $"Bit range {minBits}..{maxBits} must lie within 1..16.");
        if (initialBits < minBits || initialBits > maxBits)
            throw new ArgumentOutOfRangeException(nameof(initialBits), $"Initial bits {initialBits} outside {minBits}..{maxBits}.");
        MinBits = minBits;
        MaxBits = maxBits;
        offset = nn.Parameter(tensor((float)(initialBits - minBits)), requires_grad: trainable);
        RegisterComponents();
    }

    public int MinBits { get; }
    public int MaxBits { get; }

    /// <summary>The raw parameter, for the optimiser's bitwidth group and for gradient tests.</summary>
    public Parameter Offset => offset;

    /// <summary>The current bitwidth as a whole-valued scalar tensor carrying the straight-through gradient.</summary>
    public Tensor Bits() => IntQuant.RoundSte(offset.abs().Plus(MinBits).ClampBetween(MinBits, MaxBits));

    /// <summary>The current bitwidth as an integer, for reports and export.</summary>
    public int Current
    {
        get
        {
            using var _ = no_grad();
            using var b = Bits();
            return (int)b.item<float>();
        }
    }

    /// <summary>Keeps the offset in [0, MaxBits - MinBits]; call after every optimiser step.</summary>
    public void Project()
    {
        using var _ = no_grad();
        offset.clamp_(0, MaxBits - MinBits);
    }
}
