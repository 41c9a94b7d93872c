namespace QuantUNet.Torch.Training;

/// <summary>Every setting of a training run. Defaults follow the paper where it says, and the notes where it does not.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 8;

    /// <summary>Adam learning rate of weights and biases.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// Adam learning rate of bitwidth offsets and thresholds. Dropping a bit takes the offset 0.5, and
    /// Adam moves it about one learning rate a step, so at the weights' 1e-3 bits would barely move.
    /// </summary>
    public double QuantizerLearningRate { get; init; } = 1e-2;

    /// <summary>Weight of the bitwidth term: loss = BCE + Dice + Lambda * bitwidth loss (paper: 0.25).</summary>
    public double Lambda { get; init; } = 0.25;

    public BitwidthLossKind BitwidthLoss { get; init; } = BitwidthLossKind.PlainMean;

    /// <summary>
    /// A bit budget: when set, the bitwidth term penalises only the excess of the average weight bits (plain
    /// mean over the layers, the paper's statistic) over this target (a hinge, as in Uhlich et al. 2020), so the
    /// widths are still learned per layer but stop falling once the average meets the budget. Null: the paper's
    /// plain lambda term.
    /// </summary>
    public double? TargetBits { get; init; }

    /// <summary>Average the activation widths into the bitwidth term as well.</summary>
    public bool PenalizeActivationBits { get; init; } = true;

    /// <summary>Epochs trained before the bitwidth term switches on (thresholds settle first).</summary>
    public int BitwidthWarmupEpochs { get; init; }

    /// <summary>Seeds weight initialisation, shuffling and augmentation (<see cref="TrainingRandom"/>): same seed and threads, same run on CPU.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>TorchSharp intra-op threads; 0 keeps the library's default (all cores).</summary>
    public int Threads { get; init; }

    /// <summary>Random horizontal and vertical flips of training batches.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>
    /// When set, a <see cref="Persistence.TrainingCheckpoint"/> is written here atomically after every epoch, and a run that
    /// finds one of the same settings and data continues from it (see <see cref="WarmStartTraining"/>).
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Train at least one epoch.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be positive.");
        if (LearningRate <= 0 || QuantizerLearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), "Learning rates must be positive.");
        if (Lambda < 0) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "Lambda must not be negative.");
        if (BitwidthWarmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(BitwidthWarmupEpochs));
        if (TargetBits is { } target && !(target >= 2 && target <= 8))
            throw new ArgumentOutOfRangeException(nameof(TargetBits), target, "The target average weight width must lie in the learnable range, 2 to 8 bits.");
    }
}
