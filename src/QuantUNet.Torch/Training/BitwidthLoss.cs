using QuantUNet.Torch.Model;
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
/// The bitwidth term of the loss, scaled to [MinBits/MaxBits, 1] by dividing widths by their maximum so
/// that lambda means the same whatever the bit range. Optionally the activation widths (plain mean)
/// are averaged in too: without a push they would stay where the task gradient leaves them.
/// </summary>
public static class BitwidthLoss
{
    public static Tensor Compute(QuantUNetModel model, BitwidthLossKind kind, bool includeActivations)
    {
        var layers = model.Layers;
        Tensor weightTerm;
        if (kind == BitwidthLossKind.PlainMean)
        {
            weightTerm = stack(layers.Select(l => l.WeightQuantizer.BitWidth.Bits() / l.WeightQuantizer.BitWidth.MaxBits)).mean();
        }
        else
        {
            double total = layers.Sum(l => (double)l.Weight.numel());
            weightTerm = stack(layers.Select(l => l.WeightQuantizer.BitWidth.Bits() * (l.Weight.numel() / total / l.WeightQuantizer.BitWidth.MaxBits))).sum();
        }
        if (!includeActivations) return weightTerm;
        var activationTerm = stack(layers.Select(l => l.InputQuantizer.BitWidth.Bits() / l.InputQuantizer.BitWidth.MaxBits)).mean();
        return (weightTerm + activationTerm) / 2;
    }
}
