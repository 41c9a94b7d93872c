using System.CommandLine;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;
using QuantUNet.Torch.Native;
using QuantUNet.Torch.Persistence;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// A trained model named by a <c>--model</c> argument, loaded once: the one place that decides what a <c>--model</c>
/// argument may be. Scoring goes through QuantUNet.MLNet's <see cref="SegmentationScorer"/>, as the transformer's does.
/// </summary>
internal sealed class TrainedModel
{
    /// <summary>The CLI's names of the scoring modes, as <c>--mode</c> takes them and metrics.json reports them.</summary>
    private static readonly Dictionary<string, ScoringMode> ModeNames = new()
    {
        ["integer"] = ScoringMode.Integer, ["fakequant"] = ScoringMode.FakeQuantized, ["float"] = ScoringMode.Float,
    };

    private TrainedModel(string path, ModelPackage package)
    {
        Path = path;
        Package = package;
    }

    /// <summary>The model file actually loaded.</summary>
    public string Path { get; }

    public ModelPackage Package { get; }

    public int InputChannels => Package.Description.ImageChannels;

    public static Option<FileInfo> ModelOption() => new("--model")
    {
        Description = $"The folder train wrote, its ML.NET model ({ModelZip.FileName}), a model package (.qunet, also of the previous format) or an integer model (.qint).", Required = true,
    };

    public static Option<ScoringMode?> ModeOption() => new("--mode")
    {
        Description = $"{string.Join(", ", ModeNames.Keys)} (default: integer for QuantU-Net, float for the float baseline).",
        // The names the parser takes, not the enum's, in the usage line.
        HelpName = string.Join("|", ModeNames.Keys),
        CustomParser = result =>
        {
            if (ModeNames.TryGetValue(result.Tokens[0].Value.ToLowerInvariant(), out var mode)) return mode;
            // An error on the result, not an exception: the parser reports it as one line with exit code 1.
            result.AddError($"--mode {result.Tokens[0].Value}: not one of {string.Join(", ", ModeNames.Keys)}.");
            return null;
        },
    };

    public static Option<int> SizeOption(string resized) => new("--size")
    {
        Description = $"Resize {resized} to this side (0: the side the model was trained at).", DefaultValueFactory = _ => 0,
    };

    /// <summary>The side to score at: <paramref name="requested"/>, or with 0 the side the model was trained at.</summary>
    public int Side(int requested) => DatasetOptions.CheckScoringSize(requested > 0 ? requested : Package.Description.ImageHeight);

    /// <summary>Sets TorchSharp's threads to <paramref name="requested"/> (0: all cores) and returns the count, for the integer engine too.</summary>
    public static int UseThreads(int requested)
    {
        int threads = requested > 0 ? requested : Environment.ProcessorCount;
        // TorchSharp may be touched here before any type of QuantUNet.Torch, whose initializer makes libtorch loadable.
        TorchRuntime.EnsureLoadable();
        set_num_threads(threads);
        return threads;
    }

    /// <summary>Resolves and loads a <c>--model</c> argument: anything <see cref="ModelFile.LoadPackage"/> reads.</summary>
    /// <exception cref="FileNotFoundException">Nothing there; the message names the argument.</exception>
    public static TrainedModel Load(string modelArgument) =>
        new(ModelPackage.ModelFileIn(modelArgument), ModelFile.LoadPackage(modelArgument));

    /// <summary>The requested mode, or <see cref="SegmentationScorer.DefaultMode"/>.</summary>
    /// <exception cref="ArgumentException">The model cannot score in the mode; the message names it.</exception>
    public ScoringMode ModeOrDefault(ScoringMode? requested)
    {
        var mode = requested ?? SegmentationScorer.DefaultMode(Package);
        try
        {
            SegmentationScorer.CheckMode(Package, mode);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"--mode {Name(mode)}: {Path}: {e.Message}", e);
        }
        return mode;
    }

    public static string Name(ScoringMode mode) => ModeNames.First(pair => pair.Value == mode).Key;

    /// <summary>A scorer of this model in <paramref name="mode"/> (checked with <see cref="ModeOrDefault"/> first) for squares of <paramref name="side"/>.</summary>
    public SegmentationScorer Scorer(ScoringMode mode, int side, int threads) => SegmentationScorer.Create(Package, mode, side, side, threads);
}
