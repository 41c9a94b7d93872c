using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Training;

/// <summary>The mean training loss terms of one epoch (the bitwidth term before lambda).</summary>
public sealed record LossTerms(double Total, double BinaryCrossEntropy, double Dice, double Bitwidth);

/// <summary>Validation figures after an epoch: pooled over all validation pixels.</summary>
public sealed record ValidationFigures(double Loss, double Dice, double IoU, double PixelAccuracy);

/// <summary>What happened in one epoch.</summary>
public sealed record EpochRecord(
    int Epoch,
    bool BitwidthTermOn,
    LossTerms Training,
    ValidationFigures? Validation,
    BitwidthSummary Bitwidths,
    double Seconds);

/// <summary>Progress inside an epoch, for progress bars and logs.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, double Loss);
