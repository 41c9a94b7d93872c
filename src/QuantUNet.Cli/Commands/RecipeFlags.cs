using System.CommandLine;
using System.Globalization;
using QuantUNet.Cli.Training;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// The training recipe's options that train and sweep share (<see cref="TrainingRecipe"/>): each unset unless given, so the
/// library's default (<see cref="TrainingOptions"/>, shown in the help) applies, and each checked by the library's own rule.
/// Nothing of QuantUNet.Torch is touched while the commands are built, not even an enum's type: the first touch runs its
/// module initializer, which loads libtorch, and <c>info</c> must still run where that fails. So the defaults are read when
/// help shows them, and the named values are parsed when the command runs.
/// </summary>
internal sealed class RecipeFlags
{
    private static readonly Lazy<TrainingOptions> Library = new(() => new TrainingOptions());

    public Option<double> Lambda { get; } = NumberOption("--lambda",
        "Weight of QuantU-Net's bitwidth term: loss = BCE + Dice + lambda x bitwidth loss (the paper's 0.25).", () => Library.Value.Lambda);

    public Option<string> BitwidthLoss { get; } = NamedValueOption("--bitwidth-loss",
        "How the bitwidth term averages the layers' weight widths: PlainMean (the paper's statistic) or SizeWeighted (by parameter count, the packed size).",
        () => Library.Value.BitwidthLoss);

    public Option<double> LearningRate { get; } = NumberOption("--learning-rate",
        "Adam learning rate of the weights, before the schedule scales it.", () => Library.Value.LearningRate);

    public Option<string> Schedule { get; } = NamedValueOption("--schedule",
        "How the learning rate falls over each phase: Cosine (per step, to 1%) or Constant.", () => Library.Value.LearningRateSchedule);

    public Option<string> Augmentation { get; } = NamedValueOption("--augmentation",
        "How training images are varied: Full (flips, small rotations and scales, intensity jitter), Flips or None.",
        () => Library.Value.Augmentation);

    public Option<double> QatRateFactor { get; } = NumberOption("--qat-rate-factor",
        "QuantU-Net's weights' learning rate after the float warm start, as a share of --learning-rate, in (0, 1].",
        () => Library.Value.WarmStartedQatLearningRateFactor);

    public Option<double> FrozenShare { get; } = NumberOption("--frozen-share",
        "The share of QuantU-Net's quantization-aware epochs, at the end, trained with frozen widths, in [0, 1); the kept model is the best of them.",
        () => Library.Value.FrozenWidthFraction);

    public Option<double> SettledShare { get; } = NumberOption("--settled-share",
        "The share of each phase's learning-rate schedule, at its end, whose epochs may be kept, in (0, 1]; 1: every epoch.",
        () => Library.Value.SettledEpochFraction);

    public Option<double> WeightAverage { get; } = NumberOption("--weight-average-epochs",
        "Horizon in epochs of a moving average of the weights that each epoch is validated and kept with; 0: none.",
        () => Library.Value.WeightAverageEpochs);

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

    /// <summary>A number option, showing <paramref name="libraryDefault"/> in help.</summary>
    private static Option<double> NumberOption(string name, string description, Func<double> libraryDefault) => new(name)
    {
        Description = description, DefaultValueFactory = _ => libraryDefault(),
    };

    /// <summary>An option that takes one of an enum's names (<see cref="Named{T}"/> reads it), showing <paramref name="libraryDefault"/> in help.</summary>
    private static Option<string> NamedValueOption(string name, string description, Func<Enum> libraryDefault) => new(name)
    {
        Description = description, DefaultValueFactory = _ => libraryDefault().ToString(),
    };

    /// <summary>The value of <paramref name="option"/> when given: one of <typeparamref name="T"/>'s names, in any case (not its numbers).</summary>
    /// <exception cref="ArgumentException">It names no value of <typeparamref name="T"/>; the message lists them.</exception>
    private static T? Named<T>(ParseResult parse, Option<string> option) where T : struct, Enum
    {
        if (parse.GetResult(option) is not { Implicit: false }) return null;
        var given = parse.GetValue(option)!;
        return Enum.GetNames<T>().FirstOrDefault(known => string.Equals(known, given, StringComparison.OrdinalIgnoreCase)) is { } match
            ? Enum.Parse<T>(match)
            : throw new ArgumentException($"{option.Name} {given}: not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The recipe given on the command line (the options left out stay null), checked by <see cref="TrainingOptions.InvalidSettings"/>.</summary>
    /// <exception cref="ArgumentException">A value is one no run can use; the message names the option, the value and the rule.</exception>
    public TrainingRecipe Read(ParseResult parse)
    {
        T? Given<T>(Option<T> option) where T : struct => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;
        var recipe = new TrainingRecipe
        {
            Lambda = Given(Lambda), BitwidthLoss = Named<BitwidthLossKind>(parse, BitwidthLoss), LearningRate = Given(LearningRate),
            LearningRateSchedule = Named<LearningRateScheduleKind>(parse, Schedule), Augmentation = Named<AugmentationKind>(parse, Augmentation),
            WarmStartedQatLearningRateFactor = Given(QatRateFactor), FrozenWidthFraction = Given(FrozenShare), SettledEpochFraction = Given(SettledShare),
            WeightAverageEpochs = Given(WeightAverage),
        };
        var optionOf = OptionOf;
        foreach (var invalid in recipe.ApplyTo(Library.Value).InvalidSettings())
            if (optionOf.TryGetValue(invalid.Field, out var option))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {invalid.Value}: {invalid.Rule}"));
        return recipe;
    }
}
