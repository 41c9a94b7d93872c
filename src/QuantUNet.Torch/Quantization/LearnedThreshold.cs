using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A trainable threshold T (the float range the integer codes span; the step is T / N(b)).
/// It is initialised from data: either once from a tensor (weights: their max |w|) or from a running
/// mean of a high percentile over the first training batches (activations), during which it is not
/// trained. <see cref="Project"/> keeps it positive.
/// </summary>
public sealed class LearnedThreshold : nn.Module
{
    private readonly Parameter threshold;
    private readonly Tensor observedBatches;

    /// <param name="shape">[] for one threshold, or a broadcastable per-channel shape.</param>
    /// <param name="calibrationBatches">Training batches whose statistics set the initial value.</param>
    /// <param name="percentile">The statistic, in (0, 1]: 0.99999 as Brevitas, 1 for the maximum.</param>
    /// <param name="name">The module's name in the state dict.</param>
    public LearnedThreshold(string name, long[] shape, int calibrationBatches, double percentile) : base(name)
    {
        if (percentile <= 0 || percentile > 1) throw new ArgumentOutOfRangeException(nameof(percentile));
        CalibrationBatches = calibrationBatches;
        Percentile = percentile;
        threshold = nn.Parameter(ones(shape));
        observedBatches = zeros(1, ScalarType.Int64);
        register_buffer(nameof(observedBatches), observedBatches); // named as the field, so that Module.to() re-points the field at the moved buffer
        RegisterComponents();
    }

    /// <summary>Training batches whose statistics set the initial value; the threshold is not trained during them.</summary>
    public int CalibrationBatches { get; }
    /// <summary>The calibration statistic, in (0, 1]: 1 for the maximum.</summary>
    public double Percentile { get; }
    /// <summary>The threshold T itself, in the units of the values quantized.</summary>
    public Parameter Value => threshold;

    /// <summary>Whether the running statistics have set the threshold and training may move it.</summary>
    public bool Calibrated => observedBatches.item<long>() >= CalibrationBatches;

    /// <summary>
    /// The threshold to quantize <paramref name="x"/> with. While calibrating in training mode, x updates
    /// the running statistic and the threshold is returned detached.
    /// </summary>
    public Tensor For(Tensor x)
    {
        if (!training || Calibrated) return threshold;
        using (no_grad())
        {
            long seen = observedBatches.item<long>();
            using var statistic = Statistic(x.detach());
            // Running mean of the per-batch statistic.
            threshold.TimesInPlace(seen / (seen + 1.0)).PlusInPlace(statistic.DividedBy(seen + 1.0));
            observedBatches.PlusInPlace(ones_like(observedBatches));
        }
        return threshold.detach();
    }

    /// <summary>Sets the threshold outright and ends calibration (weights: from max |w| at the first use).</summary>
    public void InitializeFrom(Tensor value)
    {
        using var _ = no_grad();
        threshold.copy_(value.detach().expand_as(threshold));
        observedBatches.FillInPlace(CalibrationBatches);
    }

    /// <summary>Keeps the threshold positive; call after every optimiser step.</summary>
    public void Project()
    {
        using var _ = no_grad();
        threshold.ClampMinInPlace(1e-6);
    }

    private Tensor Statistic(Tensor x)
    {
        var values = x.flatten();
        // Large activations: a fixed stride subsample keeps the percentile cheap and deterministic.
        const long maxSamples = 1 << 18;
        if (values.shape[0] > maxSamples) values = values[TensorIndex.Slice(0, null, values.shape[0] / maxSamples)];
        var statistic = Percentile >= 1 ? values.max() : values.quantile(tensor(Percentile, dtype: values.dtype), 0, false);
        return statistic.ClampMin(1e-6);
    }
}
