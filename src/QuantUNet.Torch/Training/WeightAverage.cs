using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>
/// An exponential moving average of a model's weights, biases and BatchNorm scales, shifts and running statistics
/// (not its quantizers: the widths and thresholds of the averaged model are the model's own, so an epoch's bits
/// are what it trained at). Updated after every step with the decay that makes its horizon
/// <see cref="TrainingOptions.WeightAverageEpochs"/> epochs; each epoch's validation, best-epoch choice and kept model
/// use the average (see <see cref="BestEpoch"/>), so the choice rides on a smoothed curve rather than one step's weights.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    private readonly Tensor[] live;
    private readonly Tensor[] average;
    private readonly double decay;

    /// <summary>An average of <paramref name="model"/>'s tensors that starts at their values now.</summary>
    /// <param name="model">The model trained.</param>
    /// <param name="horizonSteps">The average's time constant in steps: each step's weights enter with 1 / horizon.</param>
    public WeightAverage(QuantUNetModel model, double horizonSteps)
    {
        if (!(horizonSteps >= 1)) throw new ArgumentOutOfRangeException(nameof(horizonSteps), horizonSteps, "an average spans at least one step.");
        decay = 1 - 1 / horizonSteps;
        live = [.. Averaged(model)];
        using var _ = no_grad();
        average = [.. live.Select(t => t.detach().clone())];
    }

    /// <summary>Moves the average towards the model's tensors after a step.</summary>
    public void Update()
    {
        using var _ = no_grad();
        foreach (var (value, mean) in live.Zip(average)) mean.TimesInPlace(decay).PlusInPlace(value, 1 - decay);
    }

    /// <summary>Exchanges the model's tensors with the average: call once to evaluate or keep the average, again to train on.</summary>
    public void Swap()
    {
        using var _ = no_grad();
        foreach (var (value, mean) in live.Zip(average))
        {
            using var held = value.detach().clone();
            value.copy_(mean);
            mean.copy_(held);
        }
    }

    /// <summary>Runs <paramref name="action"/> with the average in the model, and the model's own tensors back afterwards.</summary>
    public T With<T>(Func<T> action)
    {
        Swap();
        try { return action(); }
        finally { Swap(); }
    }

    public void Dispose()
    {
        foreach (var mean in average) mean.Dispose();
    }

    private static IEnumerable<Tensor> Averaged(QuantUNetModel model) =>
        model.WeightParameters().Concat(model.Layers.SelectMany(l => l.Norm is { } norm ? new[] { norm.running_mean!, norm.running_var! } : []));
}
