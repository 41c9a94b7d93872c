namespace QuantUNet.Torch.Training;

/// <summary>How the learning rates fall over a phase.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>The rates as set, every step.</summary>
    Constant,

    /// <summary>Half a cosine per step from the full rate down to <see cref="LearningRateSchedule.CosineFloor"/> of it over the phase.</summary>
    Cosine,
}

/// <summary>
/// The factor each step's learning rate is multiplied by. Per step rather than per epoch, so that a phase of few
/// epochs still decays smoothly; a pure function of the step, so a resumed run sets the rates an uninterrupted one would.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>The share of the rate the cosine ends at: small enough to settle the weights, not zero, so the last steps still learn.</summary>
    public const double CosineFloor = 0.01;

    /// <summary>The factor of step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/> in the phase.</summary>
    public static double Factor(LearningRateScheduleKind kind, long step, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (step < 0 || step >= totalSteps) throw new ArgumentOutOfRangeException(nameof(step), step, $"A phase of {totalSteps} steps has steps 0 to {totalSteps - 1}.");
        return kind switch
        {
            LearningRateScheduleKind.Constant => 1,
            LearningRateScheduleKind.Cosine => CosineFloor + (1 - CosineFloor) * 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown learning-rate schedule."),
        };
    }
}
