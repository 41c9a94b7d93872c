using System.Text.Json;
using QuantUNet.Data;
using QuantUNet.Integer.Package;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>What a <see cref="WarmStartTraining"/> run trained: each phase's model and records, null for an empty phase.</summary>
public sealed record WarmStartResult(TrainingResult? Float, TrainingResult? Quantized)
{
    /// <summary>The model the run is for: QuantU-Net when the schedule has quantization-aware epochs, else the float U-Net.</summary>
    public TrainingResult Final => Quantized ?? Float!;
}

/// <summary>
/// How QuantU-Net is trained: a float U-Net first, then a quantized twin that starts from the float
/// weights after <see cref="WarmStartSchedule.WarmStartEpoch"/> and trains with quantization and the
/// bitwidth term on (from scratch, the 8-bit quantizers can keep a small network at "all background"
/// for many epochs). Each phase ends with the model of its best epoch (<see cref="BestEpoch"/>); the warm
/// start takes the float weights as they are after <see cref="WarmStartSchedule.WarmStartEpoch"/>.
/// With <see cref="TrainingOptions.CheckpointDirectory"/> set, a checkpoint is written
/// there before the first epoch and after every epoch, and a run that finds one continues from it, so
/// that a killed run loses at most the epoch under way and ends as the uninterrupted run would.
/// </summary>
public static class WarmStartTraining
{
    /// <summary>The float phase's name in logs and epoch callbacks, "float".</summary>
    public const string FloatName = "float";
    /// <summary>The quantized phase's name in logs and epoch callbacks, "quant".</summary>
    public const string QuantizedName = "quant";

    /// <summary><see cref="FloatName"/> or <see cref="QuantizedName"/>.</summary>
    /// <param name="phase">The phase.</param>
    public static string Name(TrainingPhase phase) => phase == TrainingPhase.Float ? FloatName : QuantizedName;

    /// <summary>Trains the phases of <paramref name="schedule"/> with models built from <paramref name="architecture"/> and <c>options.Seed</c>.</summary>
    /// <param name="options">Every setting but the epochs, which <paramref name="schedule"/> sets per phase.</param>
    /// <param name="epochEnded">Called after each epoch with the phase's name (<see cref="FloatName"/> or <see cref="QuantizedName"/>);
    /// a resumed run first replays the epochs its checkpoint holds.</param>
    /// <param name="callerSettings">Kept in the checkpoint (<see cref="TrainingCheckpoint.CallerSettings"/>) so that the caller can
    /// restart the run from the checkpoint alone; a checkpoint with other settings is not resumed.</param>
    /// <param name="architecture">The network both phases build.</param>
    /// <param name="training">The training samples.</param>
    /// <param name="validation">Samples for the validation figures and the choice of best epoch; null trains without (each phase ends with its last epoch).</param>
    /// <param name="schedule">The epochs of each phase and the warm-start epoch.</param>
    /// <param name="log">Receives one-line messages (resuming, warm start); null for none.</param>
    /// <param name="progress">Called after each training step; null for none.</param>
    /// <param name="cancellation">Stops the run between steps with <see cref="OperationCanceledException"/>; the checkpoint keeps the last finished epoch.</param>
    public static WarmStartResult Train(
        ArchitectureOptions architecture, IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample>? validation,
        TrainingOptions options, WarmStartSchedule schedule, Action<string, EpochRecord>? epochEnded = null, Action<string>? log = null,
        Action<TrainingProgress>? progress = null, JsonElement? callerSettings = null, CancellationToken cancellation = default)
    {
        schedule.Validate();
        var floatModel = schedule.FloatEpochs > 0 ? SegmentationTrainer.CreateModel(architecture with { Quantize = false }, options.Seed) : null;
        var quantModel = schedule.QuantizedEpochs > 0 ? SegmentationTrainer.CreateModel(architecture with { Quantize = true }, options.Seed) : null;
        try
        {
            return Run(floatModel, quantModel, architecture, training, validation, options, schedule, epochEnded, log, progress, callerSettings, cancellation);
        }
        catch
        {
            floatModel?.Dispose();
            quantModel?.Dispose();
            throw;
        }
    }

    /// <summary><see cref="SegmentationTrainer.Train"/> with a checkpoint folder: a one-phase run of the given model.</summary>
    internal static TrainingResult TrainCheckpointed(
        QuantUNetModel model, IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample>? validation,
        TrainingOptions options, Action<TrainingProgress>? progress, Action<EpochRecord>? epochEnded, Action<string>? log, CancellationToken cancellation)
    {
        var schedule = model.Quantize ? WarmStartSchedule.QuantizedOnly(options.Epochs) : WarmStartSchedule.FloatOnly(options.Epochs);
        return Run(model.Quantize ? null : model, model.Quantize ? model : null, model.Options, training, validation, options, schedule,
            epochEnded is null ? null : (_, record) => epochEnded(record), log, progress, callerSettings: null, cancellation).Final;
    }

    /// <summary>
    /// The file a <see cref="TrainingOptions.EpochModelDirectory"/> gets for an epoch: the phase's name and the epoch within the
    /// phase, <c>float-07.qunet</c>, <c>quant-03.qunet</c>.
    /// </summary>
    /// <param name="phase">The epoch's phase.</param>
    /// <param name="epoch">The epoch, counted from 1 within its phase.</param>
    public static string EpochModelFileName(TrainingPhase phase, int epoch) => FormattableString.Invariant($"{Name(phase)}-{epoch:D2}{ModelPackage.Extension}");

    /// <summary>One log line for an epoch.</summary>
    public static string Describe(string name, EpochRecord record)
    {
        var validation = record.Validation is { } v ? $"val Dice {v.Dice:F4}  IoU {v.IoU:F4}  acc {v.PixelAccuracy:F4}" : "";
        return $"  {name} epoch {record.Epoch,2}: loss {record.Training.Total:F4}  {validation}  " +
               $"weight bits {record.Bitwidths.AverageWeightBits:F2}{(record.WidthsFrozen ? " (frozen)" : "")}  lr {record.LearningRate:G3}  ({record.Seconds:F1} s)";
    }

    private static WarmStartResult Run(
        QuantUNetModel? floatModel, QuantUNetModel? quantModel, ArchitectureOptions architecture,
        IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample>? validation, TrainingOptions options, WarmStartSchedule schedule,
        Action<string, EpochRecord>? epochEnded, Action<string>? log, Action<TrainingProgress>? progress, JsonElement? callerSettings,
        CancellationToken cancellation)
    {
        if (options.Threads > 0) set_num_threads(options.Threads);
        using var data = TrainingData.Stack(training, validation);
        var directory = options.CheckpointDirectory;
        string fingerprint = directory is null ? "" : data.Fingerprint(); // only checkpoints need it
        var records = new Dictionary<TrainingPhase, List<EpochRecord>> { [TrainingPhase.Float] = [], [TrainingPhase.Quantized] = [] };
        var best = new Dictionary<TrainingPhase, BestEpochTracker> { [TrainingPhase.Float] = new(), [TrainingPhase.Quantized] = new() };
        if (directory is not null) TrainingCheckpoint.DeleteUnfinishedWrites(directory);
        var resumed = directory is not null && TrainingCheckpoint.ExistsIn(directory) ? TrainingCheckpoint.LoadFrom(directory) : null;
        if (resumed is not null)
        {
            var differences = resumed.Differences(architecture, options, schedule, fingerprint, callerSettings);
            if (differences.Count > 0)
                throw new ArgumentException($"{TrainingCheckpoint.PathIn(directory!)} is the checkpoint of another run (its {string.Join(", ", differences)} differ): "
                    + "continue it with its own settings, or train into another folder.");
            if (floatModel is not null) ModelFile.LoadState(floatModel, resumed.FloatModelState);
            if (quantModel is not null) ModelFile.LoadState(quantModel, resumed.QuantizedModelState);
            records[TrainingPhase.Float].AddRange(resumed.FloatRecords);
            records[TrainingPhase.Quantized].AddRange(resumed.QuantizedRecords);
            best[TrainingPhase.Float] = new(resumed.FloatBestEpoch, resumed.FloatBestState, resumed.FloatRecords, resumed.FloatAverageState);
            best[TrainingPhase.Quantized] = new(resumed.QuantizedBestEpoch, resumed.QuantizedBestState, resumed.QuantizedRecords, resumed.QuantizedAverageState);
            log?.Invoke($"resuming from {TrainingCheckpoint.PathIn(directory!)}: {Name(resumed.Phase)} epoch {resumed.PhaseEpochsDone} of {schedule.Epochs(resumed.Phase)} done");
            foreach (var (phase, done) in records)
                foreach (var record in done) epochEnded?.Invoke(Name(phase), record);
        }

        void SaveCheckpoint(TrainingPhase phase, TrainingRandom random, Adam optimizer) => new TrainingCheckpoint
        {
            Architecture = architecture, Options = TrainingCheckpoint.ForCheckpoint(options), Schedule = schedule, DataFingerprint = fingerprint,
            CallerSettings = callerSettings, Phase = phase, PhaseEpochsDone = records[phase].Count,
            FloatRecords = records[TrainingPhase.Float], QuantizedRecords = records[TrainingPhase.Quantized], RandomState = random.State,
            FloatModelState = floatModel is null ? [] : ModelFile.SaveState(floatModel),
            QuantizedModelState = quantModel is null ? [] : ModelFile.SaveState(quantModel),
            OptimizerState = SaveOptimizer(optimizer),
            FloatBestEpoch = best[TrainingPhase.Float].Epoch, FloatBestState = best[TrainingPhase.Float].State,
            QuantizedBestEpoch = best[TrainingPhase.Quantized].Epoch, QuantizedBestState = best[TrainingPhase.Quantized].State,
            FloatAverageState = best[TrainingPhase.Float].AverageState, QuantizedAverageState = best[TrainingPhase.Quantized].AverageState,
        }.SaveIn(directory!);

        foreach (var phase in new[] { TrainingPhase.Float, TrainingPhase.Quantized })
        {
            var model = phase == TrainingPhase.Float ? floatModel : quantModel;
            var phaseRecords = records[phase];
            int epochs = schedule.Epochs(phase);
            if (model is null || phaseRecords.Count == epochs) continue;
            log?.Invoke(phase == TrainingPhase.Float ? $"float U-Net: {epochs} epochs" : QuantizedPlan(schedule, options));

            // Every phase begins as a fresh run of the seed would; a resumed phase takes the checkpoint's state instead.
            random.manual_seed(options.Seed);
            bool resuming = resumed?.Phase == phase;
            var generator = resuming ? new TrainingRandom(resumed!.RandomState) : TrainingRandom.FromSeed(options.Seed);
            bool fineTuning = phase == TrainingPhase.Quantized && schedule.WarmStartEpoch > 0;
            var phaseOptions = (fineTuning ? options.ForWarmStartedQat() : options) with { Epochs = epochs };
            phaseOptions.Validate();
            using var optimizer = SegmentationTrainer.CreateOptimizer(model, phaseOptions);
            if (resuming) LoadOptimizer(optimizer, resumed!.OptimizerState);
            if (directory is not null && phaseRecords.Count == 0) SaveCheckpoint(phase, generator, optimizer);

            SegmentationTrainer.TrainEpochs(model, optimizer, data, phaseOptions, generator, phaseRecords, best[phase], progress, record =>
            {
                if (phase == TrainingPhase.Float && record.Epoch == schedule.WarmStartEpoch) SegmentationTrainer.CopyWeights(model, quantModel!);
                if (directory is not null) SaveCheckpoint(phase, generator, optimizer);
                epochEnded?.Invoke(Name(phase), record);
            }, cancellation, phase == TrainingPhase.Float ? schedule.FloatScheduleEpochs : null, log);
        }

        // After both phases, so that the warm start and every checkpoint saw each model as its last epoch left it.
        TrainingResult? Result(TrainingPhase phase, QuantUNetModel? model)
        {
            if (model is null) return null;
            int bestEpoch = best[phase].Restore(model, records[phase]);
            model.eval();
            return new TrainingResult(model, records[phase], bestEpoch);
        }
        return new WarmStartResult(Result(TrainingPhase.Float, floatModel), Result(TrainingPhase.Quantized, quantModel));
    }

    private static string QuantizedPlan(WarmStartSchedule schedule, TrainingOptions options)
    {
        string start = schedule.WarmStartEpoch > 0 ? $"warm start from the float model at epoch {schedule.WarmStartEpoch}, then" : "from its own initialisation,";
        string budget = options.TargetBits is { } target ? $", target {target} bits" : "";
        return $"QuantU-Net: {start} {schedule.QuantizedEpochs} QAT epochs (lambda {options.Lambda}{budget}; widths frozen for the last {options.FrozenWidthEpochs(schedule.QuantizedEpochs)})";
    }

    private static byte[] SaveOptimizer(Adam optimizer)
    {
        var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        return state.ToArray();
    }

    private static void LoadOptimizer(Adam optimizer, byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state, writable: false));
        optimizer.load_state_dict(reader);
    }
}
