namespace QuantUNet.Torch.Training;

/// <summary>The two phases of a run, in order: the float U-Net, then QuantU-Net (quantization-aware training).</summary>
public enum TrainingPhase
{
    /// <summary>The float U-Net: quantizers off.</summary>
    Float,
    /// <summary>QuantU-Net: quantization-aware training with learned bitwidths.</summary>
    Quantized,
}

/// <summary>
/// How many epochs each phase trains: the float U-Net <see cref="FloatEpochs"/>, QuantU-Net
/// <see cref="QuantizedEpochs"/>; QuantU-Net takes the float weights after float epoch
/// <see cref="WarmStartEpoch"/> (0: it starts from its own initialisation). Either phase may be empty.
/// </summary>
public sealed record WarmStartSchedule(int FloatEpochs, int WarmStartEpoch, int QuantizedEpochs)
{
    /// <summary>
    /// The share of the epochs the float model trains before QuantU-Net takes its weights, in <see cref="Split"/>: 0.8 (16
    /// float + 4 QAT epochs of 20). QAT from float epoch 12 gained less from its 8 epochs than the float run from the same 8;
    /// from epoch 16 QuantU-Net kept up with the float model on held-out LGG patients (docs/training-recipe.md, "The
    /// warm-start share").
    /// </summary>
    public const double WarmStartFraction = 0.8;

    /// <summary>The float U-Net alone.</summary>
    public static WarmStartSchedule FloatOnly(int epochs) => new(epochs, 0, 0);

    /// <summary>QuantU-Net alone, from its own initialisation.</summary>
    public static WarmStartSchedule QuantizedOnly(int epochs) => new(0, 0, epochs);

    /// <summary>
    /// <paramref name="epochs"/> in all: the float U-Net trains the first <paramref name="warmStartEpoch"/>
    /// (default: <see cref="DefaultWarmStartEpoch"/>), QuantU-Net the rest from its weights.
    /// </summary>
    public static WarmStartSchedule Split(int epochs, int? warmStartEpoch = null)
    {
        int floatEpochs = warmStartEpoch ?? DefaultWarmStartEpoch(epochs);
        if (floatEpochs < 1 || floatEpochs >= epochs)
            throw new ArgumentException($"A warm start after float epoch {floatEpochs} of {epochs} epochs in all leaves no float or no quantization-aware epoch; it needs at least one of each.");
        return new(floatEpochs, floatEpochs, epochs - floatEpochs);
    }

    /// <summary><see cref="WarmStartFraction"/> of <paramref name="epochs"/>, at least one, and one fewer than all when there are two or more (2 epochs: 1 + 1).</summary>
    public static int DefaultWarmStartEpoch(int epochs) => Math.Clamp((int)Math.Round(epochs * WarmStartFraction), 1, Math.Max(1, epochs - 1));

    /// <summary>The epochs <paramref name="phase"/> trains.</summary>
    /// <param name="phase">The phase.</param>
    public int Epochs(TrainingPhase phase) => phase == TrainingPhase.Float ? FloatEpochs : QuantizedEpochs;

    /// <summary>
    /// The epochs the float phase's learning rate falls over: the whole run's, even when the float phase stops at the warm start.
    /// So the weights QuantU-Net starts from are those of the float run's epoch <see cref="WarmStartEpoch"/> (the same seed gives
    /// the same weights in <c>train</c>, <c>train --float</c> and the sweep), on the float run's cosine rather than settled
    /// early: a float phase whose cosine ended at epoch 12 of 20 stopped at validation Dice 0.78 on the LGG development
    /// split, where the float run reaches 0.83 by epoch 16, and QAT at a reduced rate cannot make that up.
    /// </summary>
    public int FloatScheduleEpochs => Math.Max(FloatEpochs, WarmStartEpoch + QuantizedEpochs);

    internal void Validate()
    {
        if (FloatEpochs < 0 || QuantizedEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(FloatEpochs), $"Epoch counts must not be negative (float {FloatEpochs}, quantized {QuantizedEpochs}).");
        if (FloatEpochs + QuantizedEpochs == 0) throw new ArgumentOutOfRangeException(nameof(FloatEpochs), "Train at least one epoch.");
        if (WarmStartEpoch < 0 || WarmStartEpoch > FloatEpochs)
            throw new ArgumentOutOfRangeException(nameof(WarmStartEpoch), $"A warm start after float epoch {WarmStartEpoch} needs that many float epochs; the schedule has {FloatEpochs}.");
        if (WarmStartEpoch > 0 && QuantizedEpochs == 0)
            throw new ArgumentOutOfRangeException(nameof(QuantizedEpochs), "A warm start needs at least one quantization-aware epoch after it.");
    }
}
