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

    /// <summary>A bitwidth starting at <paramref name="initialBits"/>, kept within [<paramref name="minBits"/>, <paramref name="maxBits"/>].</summary>
    /// <param name="name">The module's name in the state dict.</param>
    /// <param name="initialBits">The starting width in bits.</param>
    /// <param name="minBits">The smallest width, at least 1; default 2.</param>
    /// <param name="maxBits">The largest width, at most 16; default 8.</param>
    /// <param name="trainable">False keeps the width fixed at <paramref name="initialBits"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within 1..16, or the initial width is outside it.</exception>
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

    /// <summary>The smallest width the bitwidth may take, in bits.</summary>
    public int MinBits { get; }
    /// <summary>The largest width the bitwidth may take, in bits.</summary>
    public int MaxBits { get; }

    /// <summary>The raw parameter, for the optimiser's bitwidth group and for gradient tests.</summary>
    public Parameter Offset => offset;

    /// <summary>The current bitwidth as a whole-valued scalar tensor carrying the straight-through gradient.</summary>
    public Tensor Bits()
    {
        using var scope = NewDisposeScope();
        return Stacked([this]).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Bits"/> of several widths as one vector [n], the straight-through rounding of |offset| + MinBits clamped
    /// to [MinBits, MaxBits] elementwise: a handful of tensor operations however many widths there are.
    /// </summary>
    internal static Tensor Stacked(IReadOnlyList<LearnedBitwidth> widths)
    {
        using var scope = NewDisposeScope(); // holds the intermediate tensors for their calls (see ScalarArguments)
        var offsets = stack(widths.Select(w => (Tensor)w.offset).ToList());
        var low = tensor(widths.Select(w => (float)w.MinBits).ToArray(), device: offsets.device);
        var high = tensor(widths.Select(w => (float)w.MaxBits).ToArray(), device: offsets.device);
        // |offset| with Brevitas' gradient, +1 at 0: torch's abs has none there, and Project keeps every offset at 0 or above,
        // so a width held at its floor would get no gradient from the task loss or the bitwidth term.
        var magnitude = where(offsets.Below(0), offsets.neg(), offsets);
        return IntQuant.RoundSte(magnitude.Plus(low).clamp(low, high)).MoveToOuterDisposeScope();
    }

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
        offset.ClampBetweenInPlace(0, MaxBits - MinBits);
    }
}
