using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;

namespace QuantUNet.Torch.Training;

/// <summary>
/// Which epoch's model a phase keeps: the one with the best pooled validation Dice among the eligible epochs (those in the
/// settled end of the phase's learning-rate schedule, <see cref="TrainingOptions.SettledEpochFraction"/>; in
/// quantization-aware training, of those, the ones with frozen widths that meet the bit budget). With no validation
/// set, or no eligible epoch, the last. Keeping the best epoch rather than the last turns the epoch-to-epoch swings of
/// validation Dice from a lottery into a choice.
/// </summary>
public static class BestEpoch
{
    /// <summary>How far above <see cref="TrainingOptions.TargetBits"/> an epoch's average weight width may be and still count as meeting it.</summary>
    public const double BudgetTolerance = 0.25;

    /// <summary>
    /// Whether <paramref name="record"/>, an epoch of a <paramref name="phaseEpochs"/>-epoch phase whose learning rate falls
    /// over <paramref name="scheduleEpochs"/> epochs, may be kept.
    /// </summary>
    public static bool IsEligible(EpochRecord record, bool quantized, TrainingOptions options, int phaseEpochs, int scheduleEpochs)
    {
        if (record.Epoch <= scheduleEpochs - options.SettledEpochs(scheduleEpochs)) return false;
        if (!quantized) return true;
        bool settled = record.WidthsFrozen || options.FrozenWidthEpochs(phaseEpochs) == 0;
        return settled && MeetsBudget(record.Bitwidths, options);
    }

    /// <summary>Whether the widths meet <see cref="TrainingOptions.TargetBits"/> (always, without one), in the statistic the bitwidth term uses.</summary>
    public static bool MeetsBudget(BitwidthSummary bits, TrainingOptions options)
    {
        if (options.TargetBits is not { } target) return true;
        double average = options.BitwidthLoss == BitwidthLossKind.SizeWeighted ? bits.SizeWeightedWeightBits : bits.AverageWeightBits;
        return average <= target + BudgetTolerance;
    }
}

/// <summary>
/// The best eligible epoch of a phase so far and the model's state after it, and, when the phase averages its weights
/// (<see cref="TrainingOptions.WeightAverageEpochs"/>), the average after its last finished epoch: part of a checkpoint.
/// </summary>
internal sealed class BestEpochTracker
{
    private double dice;

    /// <summary>
    /// A tracker that has seen <paramref name="records"/>, the best of them <paramref name="epoch"/> with model state
    /// <paramref name="state"/>, and the weight average <paramref name="averageState"/> after the last of them.
    /// </summary>
    public BestEpochTracker(int? epoch = null, byte[]? state = null, IReadOnlyList<EpochRecord>? records = null, byte[]? averageState = null)
    {
        Epoch = epoch;
        State = state ?? [];
        AverageState = averageState ?? [];
        if (epoch is { } e) dice = records![e - 1].Validation!.Dice;
    }

    /// <summary>The best eligible epoch with validation figures so far; null for none.</summary>
    public int? Epoch { get; private set; }

    /// <summary><see cref="ModelFile.SaveState"/> of the model after <see cref="Epoch"/> (the average, when the phase averages); empty when there is none.</summary>
    public byte[] State { get; private set; }

    /// <summary><see cref="ModelFile.SaveState"/> of the model with the weight average in it after the last finished epoch; empty when the phase does not average or has not begun.</summary>
    public byte[] AverageState { get; private set; }

    /// <summary>
    /// The phase's weight average for <paramref name="model"/>, over <paramref name="horizonSteps"/> steps: from the model's
    /// weights now when the phase begins, from <see cref="AverageState"/> when it resumes.
    /// </summary>
    public WeightAverage StartAverage(QuantUNetModel model, double horizonSteps)
    {
        if (AverageState.Length == 0) return new WeightAverage(model, horizonSteps);
        var weights = ModelFile.SaveState(model);
        ModelFile.LoadState(model, AverageState);
        var average = new WeightAverage(model, horizonSteps);
        ModelFile.LoadState(model, weights);
        return average;
    }

    /// <summary>
    /// Keeps <paramref name="model"/>'s state if <paramref name="record"/>, its latest epoch, is eligible and scores better than
    /// the best so far (the earlier wins a tie); with <paramref name="averaged"/> the model holds the phase's weight average,
    /// which is kept as <see cref="AverageState"/> as well.
    /// </summary>
    public void Consider(EpochRecord record, QuantUNetModel model, bool eligible, bool averaged = false)
    {
        if (averaged) AverageState = ModelFile.SaveState(model);
        if (!eligible || record.Validation is not { } validation) return;
        if (Epoch is not null && !(validation.Dice > dice)) return;
        Epoch = record.Epoch;
        dice = validation.Dice;
        State = averaged ? AverageState : ModelFile.SaveState(model);
    }

    /// <summary>
    /// Puts the kept state into <paramref name="model"/> and returns its epoch: the best epoch's, or else the last's (with a
    /// weight average, the average after it; without, the model as it stands).
    /// </summary>
    public int Restore(QuantUNetModel model, IReadOnlyList<EpochRecord> records)
    {
        int last = records[^1].Epoch;
        bool averaged = AverageState.Length > 0;
        if (Epoch is { } best)
        {
            if (best != last || averaged) ModelFile.LoadState(model, State);
            return best;
        }
        if (averaged) ModelFile.LoadState(model, AverageState);
        return last;
    }
}
