using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Training;

/// <summary>The mean training loss terms of one epoch (the bitwidth term before lambda).</summary>
public sealed record LossTerms(double Total, double BinaryCrossEntropy, double Dice, double Bitwidth);

/// <summary>Validation figures after an epoch: pooled over all validation pixels.</summary>
public sealed record ValidationFigures(double Loss, double Dice, double IoU, double PixelAccuracy);

/// <summary>What happened in one epoch.</summary>
/// <param name="WidthsFrozen">True in the last epochs of quantization-aware training, whose bitwidths no longer change (<see cref="TrainingOptions.FrozenWidthFraction"/>).</param>
/// <param name="LearningRate">The weights' learning rate of the epoch's last step (see <see cref="TrainingOptions.LearningRateSchedule"/>).</param>
/// <param name="Epoch">The epoch's number within its phase, from 1.</param>
/// <param name="BitwidthTermOn">Whether the bitwidth term was in the loss.</param>
/// <param name="Training">The epoch's mean training loss terms.</param>
/// <param name="Validation">The validation figures; null without validation data.</param>
/// <param name="Bitwidths">The learned widths after the epoch.</param>
/// <param name="Seconds">Wall-clock time of the epoch, in seconds.</param>
public sealed record EpochRecord(
    int Epoch,
    bool BitwidthTermOn,
    LossTerms Training,
    ValidationFigures? Validation,
    BitwidthSummary Bitwidths,
    double Seconds,
    bool WidthsFrozen = false,
    double LearningRate = 0);

/// <summary>Progress inside an epoch, for progress bars and logs.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss);
