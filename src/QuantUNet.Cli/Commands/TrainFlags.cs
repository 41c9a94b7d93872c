using System.CommandLine;
using System.Globalization;
using QuantUNet.Cli.Training;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// The training options train and sweep share, with the library's defaults (<see cref="TrainingOptions"/>,
/// <see cref="ArchitectureOptions"/>) as theirs, and how they become <see cref="TrainCommandOptions"/>.
/// </summary>
internal sealed class TrainFlags
{
    /// <summary>The share of patients held out: 0.2 of the 24 LGG development patients is 5 (4.8 rounded), leaving 19 to train on.</summary>
    public const double DefaultValidationFraction = 0.2;

    /// <summary>Train's side: the LGG slices' 256 px halved, the size the README's results are measured at.</summary>
    public const int DefaultSize = 128;

    /// <summary>Epochs in all: the acceptance runs use 20 (the library's <see cref="TrainingOptions.Epochs"/> suits quick ML.NET fits).</summary>
    public const int DefaultEpochs = 20;

    private static readonly TrainingOptions LibraryTraining = new();
    private static readonly ArchitectureOptions LibraryArchitecture = new();

    public DatasetSource.Options Dataset { get; } = new();

    public Option<int> Size { get; } = new("--size") { Description = "Images and masks are resized to this side (a multiple of 16).", DefaultValueFactory = _ => DefaultSize };

    public Option<int> Width { get; } = new("--width")
    {
        Description = "U-Net base width: channels of the first level, doubled at each level below.", DefaultValueFactory = _ => LibraryArchitecture.BaseWidth,
    };

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs in all (for QuantU-Net the float warm start included).", DefaultValueFactory = _ => DefaultEpochs };

    public Option<int?> FloatEpochs { get; } = new("--float-epochs")
    {
        Description = $"Float warm-start epochs before quantization-aware training (default: {WarmStartSchedule.WarmStartFraction:P0} of --epochs).",
    };

    public Option<int> Batch { get; } = new("--batch") { Description = "Images per training step.", DefaultValueFactory = _ => LibraryTraining.BatchSize };

    public Option<double> ValidationFraction { get; } = new("--val-fraction")
    {
        Description = "Share of the patients held out for validation, rounded to whole patients (0: none; 0.2 of 24 patients holds out 5).",
        DefaultValueFactory = _ => DefaultValidationFraction,
    };

    public Option<int> Seed { get; } = new("--seed") { Description = "Seeds the split, initialisation and shuffling.", DefaultValueFactory = _ => LibraryTraining.Seed };

    public Option<int?> Channels { get; } = new("--channels")
    {
        Description = "Input channels: 1 (grey) or 3 (RGB, e.g. the LGG slices' three MRI sequences) (default: from the data, 3 when its images are colour files, 1 when grey).",
    };

    public Option<int> Threads { get; } = DatasetOptions.Threads();

    public Option<bool> SaveEpochs { get; } = new("--save-epochs")
    {
        Description = $"Also write every epoch's model, as the epoch ends, into the {TrainCommand.EpochModelsFolder} folder of the run's folder (float-07.qunet, quant-03.qunet), "
                    + "to score epochs the validation did not pick; evaluate, predict and export read them.",
    };

    /// <summary>The recipe's options (learning rates, schedule, augmentation, bitwidth term, kept-epoch window), listed after these.</summary>
    public RecipeFlags Recipe { get; } = new();

    /// <summary>The options, in the order help lists them (the dataset's come first, <see cref="DatasetSource.Options.AddTo"/>).</summary>
    public IReadOnlyList<Option> All => [Size, Width, Epochs, FloatEpochs, Batch, ValidationFraction, Seed, Channels, Threads, SaveEpochs];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
        Recipe.AddTo(command);
        Dataset.AddTo(command);
    }

    /// <summary>
    /// The widest U-Net accepted: 256 channels at the first level are 4096 at the bottom, some 300 M parameters; wider
    /// ones fail inside libtorch's allocator instead of with a message.
    /// </summary>
    public const int MaxWidth = 256;

    /// <summary>Checks every option's value, reading no data; <see cref="Read"/> does it too, a caller may do it earlier.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    public void Validate(ParseResult parse)
    {
        DatasetOptions.CheckSize(parse.GetValue(Size));
        DatasetOptions.CheckRange(parse.GetValue(Width), 1, MaxWidth, "--width", "the U-Net's base width");
        int epochs = DatasetOptions.CheckRange(parse.GetValue(Epochs), 1, int.MaxValue, "--epochs", "the number of epochs");
        if (parse.GetValue(FloatEpochs) is { } floatEpochs)
            DatasetOptions.CheckRange(floatEpochs, 0, epochs, "--float-epochs", "the float warm-start epochs (part of --epochs)");
        DatasetOptions.CheckRange(parse.GetValue(Batch), 1, int.MaxValue, "--batch", "the images per training step");
        if (parse.GetValue(Channels) is { } given && given is not (1 or 3))
            throw new ArgumentException($"--channels {given}: a model reads 1 (grey) or 3 (RGB) channels.");
        if (!(parse.GetValue(ValidationFraction) is >= 0 and < 1))
            throw new ArgumentException($"--val-fraction {parse.GetValue(ValidationFraction).ToString(CultureInfo.InvariantCulture)}: the share of patients held out must be at least 0 and below 1.");
        DatasetOptions.CheckThreads(parse.GetValue(Threads));
        Recipe.Read(parse);
        Dataset.Read(parse);
    }

    /// <summary>The settings of a run: every value checked first (<see cref="Validate"/>), then the channel count read from the images unless given.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    /// <exception cref="InvalidDataException">The channels are to come from a folder that mixes grey and colour images.</exception>
    public TrainCommandOptions Read(ParseResult parse, string outDirectory, bool quantize, double? targetBits)
    {
        Validate(parse);
        var data = Dataset.Read(parse);
        var recipe = Recipe.Read(parse);
        return new TrainCommandOptions(data, outDirectory, quantize, parse.GetValue(Size), parse.GetValue(Width), parse.GetValue(Epochs), parse.GetValue(FloatEpochs),
            parse.GetValue(Batch), parse.GetValue(ValidationFraction), parse.GetValue(Seed), parse.GetValue(Channels) ?? data.Channels(), parse.GetValue(Threads), targetBits)
        {
            SaveEpochs = parse.GetValue(SaveEpochs), Recipe = recipe.IsDefault ? null : recipe,
        };
    }

    /// <summary>Checks a bit budget against the learnable range before any data is read.</summary>
    /// <param name="given">How the user gave it, for the message: the option and its value.</param>
    /// <exception cref="ArgumentException">It lies outside 2..8; the message starts with <paramref name="given"/>.</exception>
    public static double CheckTargetBits(double bits, string given)
    {
        var learnable = LibraryArchitecture.Quantization.WeightBits;
        if (!(bits >= learnable.Min && bits <= learnable.Max))
            throw new ArgumentException($"{given}: the average weight bits to aim for must lie in the learnable range, {learnable.Min} to {learnable.Max}.");
        return bits;
    }
}
