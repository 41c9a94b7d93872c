namespace QuantUNet.Torch.Training;

/// <summary>
/// Every setting of a training run, and the one home of their defaults (the CLI and the ML.NET trainer read them from
/// here). Defaults follow the paper where it says, and a recipe measured on real MRI where it does not.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Epochs of the run (of each phase, in a <see cref="WarmStartTraining"/> run). Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images a step. 16: a plain U-Net with Adam 1e-3 converges on the LGG slices at this batch; at 8 the steps are noisier. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Adam learning rate of weights and biases, before <see cref="LearningRateSchedule"/> scales it. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// Adam learning rate of bitwidth offsets and thresholds. Dropping a bit takes the offset 0.5, and
    /// Adam moves it about one learning rate a step, so at the weights' 1e-3 bits would barely move.
    /// Thresholds follow <see cref="LearningRateSchedule"/> like the weights; bitwidth offsets keep at least this rate
    /// (see <see cref="BitwidthLearningRate"/>) until <see cref="FrozenWidthFraction"/> freezes them.
    /// Default 1e-2.
    /// </summary>
    public double QuantizerLearningRate { get; init; } = 1e-2;

    /// <summary>
    /// The bitwidth offsets' rate in a phase whose widths learn for <paramref name="learningSteps"/> steps: <see cref="QuantizerLearningRate"/>,
    /// or faster where needed so that a width can cross its whole learnable range (<paramref name="rangeBits"/>, max minus min bits)
    /// once in those steps. Adam moves an offset about one rate a step while the pull keeps its sign, so a fixed rate that suits a
    /// long phase leaves a short fine-tuning phase (today's 2 width-learning epochs of 50 steps on the LGG development split; 6 when this
    /// was measured, where 1e-2 already fell short) stuck above its budget.
    /// </summary>
    public double BitwidthLearningRate(long learningSteps, int rangeBits) =>
        learningSteps <= 0 ? QuantizerLearningRate : Math.Max(QuantizerLearningRate, (double)rangeBits / learningSteps);

    /// <summary>
    /// The weights' learning rate in a quantization-aware phase that starts from float weights (a <see cref="WarmStartTraining"/>
    /// warm start), as a share of <see cref="LearningRate"/>. QAT folds each BatchNorm with frozen statistics, so the network it
    /// trains has no batch normalisation left to absorb a large step: at the full rate the first QAT epoch undid most of the
    /// float phase (validation Dice 0.60 to 0.28 on the LGG development split at 7.8 bits). With the warm start after epoch 12 of 20
    /// (where the float run's cosine stands at 0.35 of the peak) 0.3 let the quantized weights go on learning as the float run's
    /// do, where at 0.1 they barely moved from the warm start (LGG development split, 128 px, width 16: pooled / mean patient
    /// Dice 0.816 / 0.725 at 0.1 and 0.829 / 0.747 at 0.3 on seed 1, 0.490 / 0.548 and 0.516 / 0.564 on seed 2). From the
    /// default warm start after epoch 16 (the float cosine at 0.10) QAT restarts at three times the float run's rate there;
    /// on eleven held-out LGG pairs 0.1 lost on most (mean patient Dice a median 1.2 points under 0.3) and 0.5 broke one
    /// (12 points under), docs/training-recipe.md. Default 0.3.
    /// </summary>
    public double WarmStartedQatLearningRateFactor { get; init; } = 0.3;

    /// <summary>These options for a quantization-aware phase that starts from float weights: the weights' rate scaled by <see cref="WarmStartedQatLearningRateFactor"/>.</summary>
    public TrainingOptions ForWarmStartedQat() => this with { LearningRate = LearningRate * WarmStartedQatLearningRateFactor };

    /// <summary>How the learning rates of weights and thresholds fall over each phase's steps (see <see cref="Training.LearningRateSchedule"/>). Default <see cref="LearningRateScheduleKind.Cosine"/>.</summary>
    public LearningRateScheduleKind LearningRateSchedule { get; init; } = LearningRateScheduleKind.Cosine;

    /// <summary>Weight of the bitwidth term: loss = BCE + Dice + Lambda * bitwidth loss (paper: 0.25). Default 0.25.</summary>
    public double Lambda { get; init; } = 0.25;

    /// <summary>How the layers' widths are averaged in the bitwidth term; default <see cref="BitwidthLossKind.PlainMean"/>, the paper's.</summary>
    public BitwidthLossKind BitwidthLoss { get; init; } = BitwidthLossKind.PlainMean;

    /// <summary>
    /// A bit budget: when set, the bitwidth term penalises only the excess of the average weight bits (plain
    /// mean over the layers, the paper's statistic) over this target (a hinge, as in Uhlich et al. 2020), so the
    /// widths are still learned per layer but stop falling once the average meets the budget (they train without
    /// momentum then, so they stop where the pull stops). With
    /// <see cref="PenalizeActivationBits"/>, the average activation width is held to the same target the same way.
    /// A QuantU-Net run keeps its best epoch among those within <see cref="BestEpoch.BudgetTolerance"/> of the target.
    /// Null: the paper's plain lambda term.
    /// </summary>
    public double? TargetBits { get; init; }

    /// <summary>Average the activation widths into the bitwidth term as well. Default true.</summary>
    public bool PenalizeActivationBits { get; init; } = true;

    /// <summary>Epochs trained before the bitwidth term switches on (thresholds settle first).</summary>
    public int BitwidthWarmupEpochs { get; init; }

    /// <summary>
    /// The share of a quantization-aware phase's last epochs trained with the widths frozen (bitwidth offsets no longer
    /// stepped, bitwidth term off), so that the weights recover from the last width change; at least one epoch when
    /// positive and the phase has two or more (see <see cref="FrozenWidthEpochs"/>). Only those epochs are candidates
    /// for the kept model. 0: the widths learn to the end. Half: the widths reach their last values while the weights'
    /// cosine still stands at about half its start, and the weights then train as long again; with a quarter the last
    /// widths fell when the rate was a third of its start and below, and the frozen epochs began at a seventh of it
    /// (docs/training-recipe.md, "The frozen half", for what each gave on the LGG development split).
    /// Default 0.5.
    /// </summary>
    public double FrozenWidthFraction { get; init; } = 0.5;

    /// <summary>
    /// The share of a phase's learning-rate schedule, at its end, whose epochs may be kept: an epoch is a candidate for the
    /// phase's kept model only within the last <see cref="SettledEpochs"/> of the epochs the phase's rate falls over (for the
    /// float phase of a warm-started run, the whole run's: <see cref="WarmStartSchedule.FloatScheduleEpochs"/>); in
    /// quantization-aware training it must also have frozen widths and meet the budget. Early in the cosine the weights still
    /// move by several points of validation Dice from one epoch to the next, and a few validation patients then favoured
    /// epochs that other patients did not: on eleven held-out LGG pairs the float models kept from every epoch came from
    /// epochs 6, 9 and 10 on three, and the eleven scored a mean 1.7 points pooled (1.9 mean patient Dice) under those kept
    /// from epochs 13-20 (docs/training-recipe.md, "The settled window"). 1: every epoch. Default 0.4 (epochs 13-20 of 20; with 20 epochs
    /// QuantU-Net's candidates, its 2 frozen epochs, are the same either way).
    /// </summary>
    public double SettledEpochFraction { get; init; } = 0.4;

    /// <summary>
    /// The horizon, in epochs, of an exponential moving average of the weights (and BatchNorm scales, shifts and
    /// statistics; not the quantizers) that each epoch's validation, the kept-epoch choice and the kept model use instead
    /// of the weights after the epoch's last step: each step's weights enter with
    /// 1 / (this × steps an epoch). It smooths the epoch-to-epoch swing of validation Dice that the kept epoch is chosen on.
    /// 0: no average, the weights themselves. Default 0.
    /// </summary>
    public double WeightAverageEpochs { get; init; }

    /// <summary>Seeds weight initialisation, shuffling and augmentation (<see cref="TrainingRandom"/>): same seed and threads, same run on CPU. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>TorchSharp intra-op threads; 0 keeps the library's default (all cores).</summary>
    public int Threads { get; init; }

    /// <summary>How training images are varied, per sample (see <see cref="Training.Augmentation"/>). Default <see cref="AugmentationKind.Full"/>.</summary>
    public AugmentationKind Augmentation { get; init; } = AugmentationKind.Full;

    /// <summary>
    /// When set, a <see cref="Persistence.TrainingCheckpoint"/> is written here atomically after every epoch, and a run that
    /// finds one of the same settings and data continues from it (see <see cref="WarmStartTraining"/>).
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>
    /// When set, every epoch's model package is written here as the epoch ends (<see cref="WarmStartTraining.EpochModelFileName"/>:
    /// <c>float-07.qunet</c>, <c>quant-03.qunet</c>), as the phase would keep it were that epoch its best (with the weight average
    /// in it when the phase averages), so that epochs the validation did not pick can be scored on other patients or drawn as a
    /// curve. Where the files go does not change the run: a checkpoint does not keep it. Null: none.
    /// </summary>
    public string? EpochModelDirectory { get; init; }

    /// <summary>The last epochs of an <see cref="Epochs"/>-epoch quantization-aware phase that train with frozen widths.</summary>
    public int FrozenWidthEpochs(int epochs) =>
        FrozenWidthFraction == 0 || epochs < 2 ? 0 : Math.Clamp((int)Math.Ceiling(epochs * FrozenWidthFraction), 1, epochs - 1);

    /// <summary>The last epochs of a phase whose rate falls over <paramref name="scheduleEpochs"/> epochs that may be kept (<see cref="SettledEpochFraction"/>): at least one.</summary>
    public int SettledEpochs(int scheduleEpochs) => Math.Clamp((int)Math.Ceiling(scheduleEpochs * SettledEpochFraction), 1, scheduleEpochs);

    /// <summary>A setting no run can use: the field's name, its value and the rule it breaks (a sentence that reads after "is value:").</summary>
    public sealed record InvalidSetting(string Field, object Value, string Rule);

    /// <summary>
    /// Every setting no run can use, in the order of the fields; empty when a run can use them all. NaN fails every range
    /// check. <see cref="Validate"/> throws for the first; a command line names each by its flag instead of its field.
    /// </summary>
    public IReadOnlyList<InvalidSetting> InvalidSettings()
    {
        var invalid = new List<InvalidSetting>();
        void Check(bool valid, string field, object value, string rule)
        {
            if (!valid) invalid.Add(new(field, value, rule));
        }
        Check(Epochs >= 1, nameof(Epochs), Epochs, "train at least one epoch.");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "a step needs at least one image.");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "a learning rate must be a positive number.");
        Check(QuantizerLearningRate > 0 && double.IsFinite(QuantizerLearningRate), nameof(QuantizerLearningRate), QuantizerLearningRate, "a learning rate must be a positive number.");
        Check(WarmStartedQatLearningRateFactor > 0 && WarmStartedQatLearningRateFactor <= 1, nameof(WarmStartedQatLearningRateFactor), WarmStartedQatLearningRateFactor,
            "the share of the learning rate must lie in (0, 1].");
        Check(Lambda >= 0 && double.IsFinite(Lambda), nameof(Lambda), Lambda, "the bitwidth term's weight must be 0 or a positive number.");
        Check(BitwidthWarmupEpochs >= 0, nameof(BitwidthWarmupEpochs), BitwidthWarmupEpochs, "epochs cannot be negative.");
        Check(FrozenWidthFraction >= 0 && FrozenWidthFraction < 1, nameof(FrozenWidthFraction), FrozenWidthFraction, "the share of QAT epochs with frozen widths must lie in [0, 1).");
        Check(SettledEpochFraction > 0 && SettledEpochFraction <= 1, nameof(SettledEpochFraction), SettledEpochFraction, "the share of the schedule whose epochs may be kept must lie in (0, 1].");
        Check(WeightAverageEpochs >= 0 && double.IsFinite(WeightAverageEpochs), nameof(WeightAverageEpochs), WeightAverageEpochs, "the average's horizon must be 0 (none) or a positive number of epochs.");
        Check(Threads >= 0, nameof(Threads), Threads, "use a positive thread count, or 0 for the library's default.");
        Check(Enum.IsDefined(LearningRateSchedule), nameof(LearningRateSchedule), LearningRateSchedule, "not a learning-rate schedule.");
        Check(Enum.IsDefined(BitwidthLoss), nameof(BitwidthLoss), BitwidthLoss, "not a bitwidth loss.");
        Check(Enum.IsDefined(Augmentation), nameof(Augmentation), Augmentation, "not an augmentation.");
        if (TargetBits is { } target)
            Check(target >= 2 && target <= 8, nameof(TargetBits), target, "the target average weight width must lie in the learnable range, 2 to 8 bits.");
        return invalid;
    }

    /// <summary>
    /// Refuses settings no run can use (<see cref="InvalidSettings"/>), naming the field as <paramref name="owner"/>.Field (the
    /// ML.NET trainer passes its Options' name, whose fields carry the same names), so that a caller can check them before
    /// any model is built.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it and its value.</exception>
    public void Validate(string owner = nameof(TrainingOptions))
    {
        if (InvalidSettings() is [var first, ..])
            throw new ArgumentOutOfRangeException(first.Field, FormattableString.Invariant($"{owner}.{first.Field} is {first.Value}: {first.Rule}"));
    }
}
