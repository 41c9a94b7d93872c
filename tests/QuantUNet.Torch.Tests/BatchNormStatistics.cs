using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Tests;

/// <summary>Non-trivial BatchNorm parameters and statistics, as a trained float phase leaves them (a fresh BatchNorm folds to the identity).</summary>
internal static class BatchNormStatistics
{
    /// <summary>Gamma in +-[0.5, 1.5] (some negative, flipping a channel's weights), beta and mean in [-0.5, 0.5], variance in [0.25, 4].</summary>
    public static void Randomize(QuantUNetModel model, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var norm in model.Layers.Select(l => l.Norm).OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            long channels = norm.weight!.shape[0];
            using var scope = NewDisposeScope();
            var sign = rand(channels, generator: generator).Below(0.3).to_type(ScalarType.Float32).Times(-2).Plus(1);
            norm.weight!.copy_(rand(channels, generator: generator).Plus(0.5) * sign);
            norm.bias!.copy_(rand(channels, generator: generator).Minus(0.5));
            norm.running_mean!.copy_(rand(channels, generator: generator).Minus(0.5));
            norm.running_var!.copy_(rand(channels, generator: generator).Times(3.75).Plus(0.25));
        }
    }
}
