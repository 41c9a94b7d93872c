using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>How the bitwidth term averages the layers' weight widths.</summary>
public enum BitwidthLossKind
{
    /// <summary>Plain mean over the 23 layers: the paper's statistic; every layer is pushed alike.</summary>
    PlainMean,

    /// <summary>Mean weighted by parameter count: proportional to the packed model size.</summary>
    SizeWeighted,
}

/// <summary>
/// The bitwidth term of the loss. Without a target (the paper's term) it is the average width divided by the
/// maximum width, in [MinBits/MaxBits, 1], so that lambda means the same whatever the bit range. With
/// <see cref="TrainingOptions.TargetBits"/> it is a hinge, <see cref="BudgetPull"/> * relu(average - target) / MaxBits:
/// none below the target, ten times the paper's pull above it. The paper's pull alone stops where the task gradient
/// balances it (about 4.1 bits on the LGG development split, whatever the target), so a budget below that point needs a
/// stronger one. A pull that grows with the excess does not work with Adam: its second-moment estimate remembers the
/// large early gradients and shrinks the later steps (widths stalled a bit above the target). Optionally the
/// activation widths (plain mean) are averaged in too, the same way (held to the same target when one is set):
/// without a push they would stay where the task gradient leaves them.
/// </summary>
public static class BitwidthLoss
{
    /// <summary>How many times the paper's pull the budget hinge pulls with above its target.</summary>
    public const double BudgetPull = 10;

    /// <summary>The term for <paramref name="model"/>'s current widths under <paramref name="options"/>' kind, target and activation setting.</summary>
    public static Tensor Compute(QuantUNetModel model, TrainingOptions options)
    {
        using var scope = NewDisposeScope(); // holds the widths' tensors for their calls (stack reads a list of temporaries)
        var layers = model.Layers;
        Tensor weightTerm;
        if (options.BitwidthLoss == BitwidthLossKind.PlainMean)
        {
            weightTerm = Term(layers.Select(l => l.WeightQuantizer.Bitwidth).ToList(), options.TargetBits);
        }
        else
        {
            double total = layers.Sum(l => (double)l.Weight.numel());
            var average = stack(layers.Select(l => l.WeightQuantizer.Bitwidth.Bits().DividedBy(total / l.Weight.numel()))).sum();
            weightTerm = Hinge(average, options.TargetBits).DividedBy(layers.Max(l => l.WeightQuantizer.Bitwidth.MaxBits));
        }
        if (!options.PenalizeActivationBits) return weightTerm.MoveToOuterDisposeScope();
        var activationTerm = Term(layers.Select(l => l.InputQuantizer.Bitwidth).ToList(), options.TargetBits);
        return weightTerm.Plus(activationTerm).DividedBy(2).MoveToOuterDisposeScope();
    }

    /// <summary>The plain mean of the widths over their maximum, or its excess over the target.</summary>
    private static Tensor Term(IReadOnlyList<LearnedBitwidth> widths, double? target)
    {
        var bits = LearnedBitwidth.Stacked(widths);
        return target is null
            ? bits.div(tensor(widths.Select(w => (float)w.MaxBits).ToArray(), device: bits.device)).mean()
            : Hinge(bits.mean(), target).DividedBy(widths.Max(w => w.MaxBits));
    }

    private static Tensor Hinge(Tensor average, double? target)
    {
        if (target is not { } bits) return average;
        return nn.functional.relu(average.Minus(bits)).Times(BudgetPull);
    }
}
