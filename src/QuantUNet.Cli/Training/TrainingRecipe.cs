using System.Text.Json.Serialization;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Training;

/// <summary>
/// The settings of the training recipe that <c>train</c> and <c>sweep</c> take from the command line (<see cref="Commands.RecipeFlags"/>),
/// named as <see cref="TrainingOptions"/> names them. In a run's settings each is null unless given, so the library's
/// default applies and the settings of a run begun before these options existed still match; in train.json every one
/// holds the value the run trained with (<see cref="Of"/>).
/// </summary>
internal sealed record TrainingRecipe
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Lambda { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(JsonStringEnumConverter<BitwidthLossKind>))]
    public BitwidthLossKind? BitwidthLoss { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LearningRate { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(JsonStringEnumConverter<LearningRateScheduleKind>))]
    public LearningRateScheduleKind? LearningRateSchedule { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(JsonStringEnumConverter<AugmentationKind>))]
    public AugmentationKind? Augmentation { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WarmStartedQatLearningRateFactor { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? FrozenWidthFraction { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SettledEpochFraction { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WeightAverageEpochs { get; init; }

    /// <summary>Whether no setting is given: the library's recipe as it is.</summary>
    [JsonIgnore]
    public bool IsDefault => this == new TrainingRecipe();

    /// <summary><paramref name="options"/> with every setting given here in place of its own.</summary>
    public TrainingOptions ApplyTo(TrainingOptions options) => options with
    {
        Lambda = Lambda ?? options.Lambda,
        BitwidthLoss = BitwidthLoss ?? options.BitwidthLoss,
        LearningRate = LearningRate ?? options.LearningRate,
        LearningRateSchedule = LearningRateSchedule ?? options.LearningRateSchedule,
        Augmentation = Augmentation ?? options.Augmentation,
        WarmStartedQatLearningRateFactor = WarmStartedQatLearningRateFactor ?? options.WarmStartedQatLearningRateFactor,
        FrozenWidthFraction = FrozenWidthFraction ?? options.FrozenWidthFraction,
        SettledEpochFraction = SettledEpochFraction ?? options.SettledEpochFraction,
        WeightAverageEpochs = WeightAverageEpochs ?? options.WeightAverageEpochs,
    };

    /// <summary>Every setting as <paramref name="options"/> hold it: what a run trained with, for its report.</summary>
    public static TrainingRecipe Of(TrainingOptions options) => new()
    {
        Lambda = options.Lambda,
        BitwidthLoss = options.BitwidthLoss,
        LearningRate = options.LearningRate,
        LearningRateSchedule = options.LearningRateSchedule,
        Augmentation = options.Augmentation,
        WarmStartedQatLearningRateFactor = options.WarmStartedQatLearningRateFactor,
        FrozenWidthFraction = options.FrozenWidthFraction,
        SettledEpochFraction = options.SettledEpochFraction,
        WeightAverageEpochs = options.WeightAverageEpochs,
    };
}
