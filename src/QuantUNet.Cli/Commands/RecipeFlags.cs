using System.CommandLine;
using System.Globalization;
using QuantUNet.Cli.Training;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// The training recipe's options that train and sweep share (<see cref="TrainingRecipe"/>): each unset unless given, so the
/// library's default (<see cref="TrainingOptions"/>, shown in the help) applies, and each checked by the library's own rule.
/// </summary>
internal sealed class RecipeFlags
{
    private static readonly TrainingOptions Library = new();

    /// <summary>An option that takes one of <typeparamref name="T"/>'s names, in any case (not its numbers).</summary>
    private static Option<T?> NamedValueOption<T>(string name, string description) where T : struct, Enum => new(name)
    {
        Description = description,
        HelpName = string.Join("|", Enum.GetNames<T>()),
        CustomParser = result =>
        {
            var token = result.Tokens[0].Value;
            if (Enum.GetNames<T>().FirstOrDefault(known => string.Equals(known, token, StringComparison.OrdinalIgnoreCase)) is { } match) return Enum.Parse<T>(match);
            // An error on the result, not an exception: the parser reports it with exit code 1.
            result.AddError($"{name} {token}: not one of {string.Join(", ", Enum.GetNames<T>())}.");
            return null;
        },
    };

    private static string Default(object value) => string.Create(CultureInfo.InvariantCulture, $" (default: {value})");

    public Option<double?> Lambda { get; } = new("--lambda")
    {
        Description = "Weight of QuantU-Net's bitwidth term: loss = BCE + Dice + lambda x bitwidth loss (the paper's 0.25)." + Default(Library.Lambda),
    };

    public Option<BitwidthLossKind?> BitwidthLoss { get; } = NamedValueOption<BitwidthLossKind>("--bitwidth-loss",
        "How the bitwidth term averages the layers' weight widths: PlainMean (the paper's statistic) or SizeWeighted (by parameter count, the packed size)." + Default(Library.BitwidthLoss));

    public Option<double?> LearningRate { get; } = new("--learning-rate")
    {
        Description = "Adam learning rate of the weights, before the schedule scales it." + Default(Library.LearningRate),
    };

    public Option<LearningRateScheduleKind?> Schedule { get; } = NamedValueOption<LearningRateScheduleKind>("--schedule",
        "How the learning rate falls over each phase: Cosine (per step, to 1%) or Constant." + Default(Library.LearningRateSchedule));

    public Option<AugmentationKind?> Augmentation { get; } = NamedValueOption<AugmentationKind>("--augmentation",
        "How training images are varied: Full (flips, small rotations and scales, intensity jitter), Flips or None." + Default(Library.Augmentation));

    public Option<double?> QatRateFactor { get; } = new("--qat-rate-factor")
    {
        Description = "QuantU-Net's weights' learning rate after the float warm start, as a share of --learning-rate, in (0, 1]." + Default(Library.WarmStartedQatLearningRateFactor),
    };

    public Option<double?> FrozenShare { get; } = new("--frozen-share")
    {
        Description = "The share of QuantU-Net's quantization-aware epochs, at the end, trained with frozen widths, in [0, 1); the kept model is the best of them." + Default(Library.FrozenWidthFraction),
    };

    public Option<double?> SettledShare { get; } = new("--settled-share")
    {
        Description = "The share of each phase's learning-rate schedule, at its end, whose epochs may be kept, in (0, 1]; 1: every epoch." + Default(Library.SettledEpochFraction),
    };

    public Option<double?> WeightAverage { get; } = new("--weight-average-epochs")
    {
        Description = "Horizon in epochs of a moving average of the weights that each epoch is validated and kept with; 0: none." + Default(Library.WeightAverageEpochs),
    };

    /// <summary>The options, in the order help lists them.</summary>
    public IReadOnlyList<Option> All => [Lambda, BitwidthLoss, LearningRate, Schedule, Augmentation, QatRateFactor, FrozenShare, SettledShare, WeightAverage];

    /// <summary>The options that set QuantU-Net's quantizers or its quantization-aware phase, which a float U-Net does not have.</summary>
    public IReadOnlyList<Option> QuantizedOnly => [Lambda, BitwidthLoss, QatRateFactor, FrozenShare];

    /// <summary>The option of each <see cref="TrainingOptions"/> field, for naming a value the library refuses by the option given.</summary>
    private IReadOnlyDictionary<string, Option> OptionOf => new Dictionary<string, Option>
    {
        [nameof(TrainingOptions.Lambda)] = Lambda, [nameof(TrainingOptions.BitwidthLoss)] = BitwidthLoss,
        [nameof(TrainingOptions.LearningRate)] = LearningRate, [nameof(TrainingOptions.LearningRateSchedule)] = Schedule,
        [nameof(TrainingOptions.Augmentation)] = Augmentation, [nameof(TrainingOptions.WarmStartedQatLearningRateFactor)] = QatRateFactor,
        [nameof(TrainingOptions.FrozenWidthFraction)] = FrozenShare, [nameof(TrainingOptions.SettledEpochFraction)] = SettledShare,
        [nameof(TrainingOptions.WeightAverageEpochs)] = WeightAverage,
    };

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The recipe given on the command line, checked by <see cref="TrainingOptions.InvalidSettings"/>.</summary>
    /// <exception cref="ArgumentException">A value is one no run can use; the message names the option, the value and the rule.</exception>
    public TrainingRecipe Read(ParseResult parse)
    {
        var recipe = new TrainingRecipe
        {
            Lambda = parse.GetValue(Lambda), BitwidthLoss = parse.GetValue(BitwidthLoss), LearningRate = parse.GetValue(LearningRate),
            LearningRateSchedule = parse.GetValue(Schedule), Augmentation = parse.GetValue(Augmentation),
            WarmStartedQatLearningRateFactor = parse.GetValue(QatRateFactor), FrozenWidthFraction = parse.GetValue(FrozenShare),
            SettledEpochFraction = parse.GetValue(SettledShare), WeightAverageEpochs = parse.GetValue(WeightAverage),
        };
        var optionOf = OptionOf;
        foreach (var invalid in recipe.ApplyTo(Library).InvalidSettings())
            if (optionOf.TryGetValue(invalid.Field, out var option))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {invalid.Value}: {invalid.Rule}"));
        return recipe;
    }
}
