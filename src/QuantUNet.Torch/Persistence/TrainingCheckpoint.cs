using System.Text.Json;
using System.Text.Json.Serialization;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;
using QuantUNet.Integer.Format;

namespace QuantUNet.Torch.Persistence;

/// <summary>
/// Everything a training run needs to continue after its last finished epoch: the run's settings, the
/// phase and epoch it reached, the epoch records, the shuffling generator's state, both models'
/// TorchSharp state (weights, bitwidth offsets, thresholds, calibration counts) and the Adam state of
/// the phase under way (all parameter groups), each phase's best epoch so far with its model state, and each phase's
/// weight average (<see cref="TrainingOptions.WeightAverageEpochs"/>). One file, <see cref="FileName"/>, in the run's folder,
/// framed by <see cref="ChecksummedFrame"/> (magic "QUNETCK1", version, JSON header, seven sections: float model, quantized
/// model, optimiser, float best state, quantized best state, float average, quantized average, each empty when absent;
/// SHA-256) and replaced atomically. A version-2 checkpoint (five sections, from before weight averaging) still resumes,
/// and one whose options lack <see cref="TrainingOptions.SettledEpochFraction"/> resumes choosing among every epoch, as it began.
/// </summary>
public sealed record TrainingCheckpoint
{
    /// <summary>The checkpoint version this build writes; it reads this one and version 2, and refuses others.</summary>
    public const int FormatVersion = 3;
    /// <summary>The checkpoint's file name in the run's folder, "checkpoint.qtrain".</summary>
    public const string FileName = "checkpoint.qtrain";
    private static readonly ChecksummedFrame.Kind Kind = new("QUNETCK1"u8.ToArray(), FormatVersion, "training checkpoint") { OldestReadVersion = 2 };
    // Version 2 had no weight averages: its runs trained without, and its frame ends after the best states.
    private static readonly ChecksummedFrame.Kind KindWithoutAverages = Kind with { Version = Kind.OldestReadVersion };

    /// <summary>The network; each phase sets <see cref="ArchitectureOptions.Quantize"/> itself.</summary>
    public required ArchitectureOptions Architecture { get; init; }

    /// <summary>The training settings, without the checkpoint folder (a run may move).</summary>
    public required TrainingOptions Options { get; init; }

    /// <summary>The epochs of each phase and the warm-start epoch.</summary>
    public required WarmStartSchedule Schedule { get; init; }

    /// <summary>SHA-256 of the training and validation tensors: a run resumes only on the data it began with.</summary>
    public required string DataFingerprint { get; init; }

    /// <summary>Whatever the caller keeps to restart the run with no other input (the CLI: its command settings); null for none.</summary>
    public JsonElement? CallerSettings { get; init; }

    /// <summary>The phase under way or last finished.</summary>
    public required TrainingPhase Phase { get; init; }

    /// <summary>Epochs of <see cref="Phase"/> finished.</summary>
    public required int PhaseEpochsDone { get; init; }

    /// <summary>The float phase's finished epochs.</summary>
    public required IReadOnlyList<EpochRecord> FloatRecords { get; init; }
    /// <summary>The quantized phase's finished epochs.</summary>
    public required IReadOnlyList<EpochRecord> QuantizedRecords { get; init; }

    /// <summary><see cref="TrainingRandom.State"/> of <see cref="Phase"/>'s generator after its last finished epoch.</summary>
    public required ulong RandomState { get; init; }

    /// <summary>The float phase's best eligible epoch so far (<see cref="BestEpoch"/>); null for none yet.</summary>
    public int? FloatBestEpoch { get; init; }

    /// <summary>The quantized phase's best eligible epoch so far; null for none yet.</summary>
    public int? QuantizedBestEpoch { get; init; }

    /// <summary>The float model's TorchSharp state after its last finished epoch; empty before the first.</summary>
    [JsonIgnore] public byte[] FloatModelState { get; init; } = [];
    /// <summary>QuantU-Net's TorchSharp state after its last finished epoch; empty before the first.</summary>
    [JsonIgnore] public byte[] QuantizedModelState { get; init; } = [];

    /// <summary>TorchSharp's <c>save_state_dict</c> of <see cref="Phase"/>'s Adam; empty before its first step.</summary>
    [JsonIgnore] public byte[] OptimizerState { get; init; } = [];

    /// <summary>The float model's state after <see cref="FloatBestEpoch"/>; empty when there is none.</summary>
    [JsonIgnore] public byte[] FloatBestState { get; init; } = [];

    /// <summary>QuantU-Net's state after <see cref="QuantizedBestEpoch"/>; empty when there is none.</summary>
    [JsonIgnore] public byte[] QuantizedBestState { get; init; } = [];

    /// <summary>The float model with its weight average in it after its last finished epoch; empty when the run does not average.</summary>
    [JsonIgnore] public byte[] FloatAverageState { get; init; } = [];

    /// <summary>QuantU-Net with its weight average in it after its last finished epoch; empty when the run does not average.</summary>
    [JsonIgnore] public byte[] QuantizedAverageState { get; init; } = [];

    /// <summary>The checkpoint's path in <paramref name="directory"/>.</summary>
    /// <param name="directory">A run's folder.</param>
    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Whether <paramref name="directory"/> holds a checkpoint file (not whether it is readable).</summary>
    /// <param name="directory">A run's folder.</param>
    public static bool ExistsIn(string directory) => File.Exists(PathIn(directory));

    /// <summary>Deletes the temporary files of checkpoint writes that a killed run left in <paramref name="directory"/>.</summary>
    public static void DeleteUnfinishedWrites(string directory) => AtomicFile.DeleteUnfinishedWrites(PathIn(directory));

    /// <summary>Writes the checkpoint to <paramref name="directory"/>, replacing the previous one atomically.</summary>
    /// <param name="directory">A run's folder; must exist.</param>
    public void SaveIn(string directory) =>
        ChecksummedFrame.Save(PathIn(directory), Kind, JsonSerializer.SerializeToUtf8Bytes(this, ChecksummedFrame.Json), [FloatModelState, QuantizedModelState, OptimizerState, FloatBestState, QuantizedBestState, FloatAverageState, QuantizedAverageState]);

    /// <summary>Loads the checkpoint in <paramref name="directory"/>, refusing a truncated, altered or foreign file with a message naming it.</summary>
    public static TrainingCheckpoint LoadFrom(string directory)
    {
        var path = PathIn(directory);
        var frame = ChecksummedFrame.ReadFile(path, Kind.Noun);
        bool withoutAverages = ChecksummedFrame.VersionOf(frame, KindWithoutAverages) == KindWithoutAverages.Version;
        var (header, sections) = withoutAverages
            ? ChecksummedFrame.Read(frame, path, KindWithoutAverages, sectionCount: 5)
            : ChecksummedFrame.Read(frame, path, Kind, sectionCount: 7);
        var checkpoint = ChecksummedFrame.ReadHeader<TrainingCheckpoint>(header, path, Kind, c =>
            c.Architecture is not null && c.Options is not null && c.Schedule is not null && c.DataFingerprint is not null
            && c.FloatRecords is not null && c.QuantizedRecords is not null);
        var options = checkpoint.Options;
        if (withoutAverages) options = options with { WeightAverageEpochs = 0 };
        // A run begun before the settled window chose among all its epochs; it resumes choosing so.
        if (!HasOption(header, nameof(TrainingOptions.SettledEpochFraction))) options = options with { SettledEpochFraction = 1 };
        return checkpoint with
        {
            Options = options,
            FloatModelState = sections[0].ToArray(), QuantizedModelState = sections[1].ToArray(), OptimizerState = sections[2].ToArray(),
            FloatBestState = sections[3].ToArray(), QuantizedBestState = sections[4].ToArray(),
            FloatAverageState = withoutAverages ? [] : sections[5].ToArray(), QuantizedAverageState = withoutAverages ? [] : sections[6].ToArray(),
        };
    }

    private static bool HasOption(ReadOnlyMemory<byte> header, string name)
    {
        using var json = JsonDocument.Parse(header);
        return json.RootElement.GetProperty(nameof(Options)).TryGetProperty(name, out _);
    }

    /// <summary>The parts of the run that differ from this checkpoint's, by name; empty when it may resume.</summary>
    public IReadOnlyList<string> Differences(ArchitectureOptions architecture, TrainingOptions options, WarmStartSchedule schedule, string dataFingerprint, JsonElement? callerSettings)
    {
        var differences = new List<string>();
        if (Architecture != architecture with { Quantize = Architecture.Quantize }) differences.Add("architecture");
        if (Options != ForCheckpoint(options)) differences.Add("training options");
        if (Schedule != schedule) differences.Add("epoch schedule");
        if (DataFingerprint != dataFingerprint) differences.Add("training or validation data");
        if (CallerSettings?.GetRawText() != callerSettings?.GetRawText()) differences.Add("caller settings");
        return differences;
    }

    /// <summary>The options as a checkpoint keeps them: without the folders the run writes into, which do not change what it trains.</summary>
    public static TrainingOptions ForCheckpoint(TrainingOptions options) => options with { CheckpointDirectory = null, EpochModelDirectory = null };
}
