using System.Diagnostics;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>The result of a training run: the trained model, one record per epoch, and the epoch whose model it is.</summary>
/// <param name="BestEpoch">The epoch <paramref name="Model"/> is the state after: the best eligible one by pooled validation Dice, or the last (see <see cref="Training.BestEpoch"/>).</param>
/// <param name="Model">The trained model (the caller disposes it).</param>
/// <param name="Epochs">One record per epoch, in order.</param>
public sealed record TrainingResult(QuantUNetModel Model, IReadOnlyList<EpochRecord> Epochs, int BestEpoch);

/// <summary>
/// Trains a <see cref="QuantUNetModel"/> (quantized or float) with Adam on BCE + Dice + lambda * bitwidth
/// loss. Weights, thresholds and bitwidth offsets are three optimiser groups with their own learning rates
/// (see <see cref="SetLearningRates"/>). Seeded and repeatable on CPU. Knows nothing of ML.NET.
/// </summary>
public static class SegmentationTrainer
{
    /// <summary>Builds a model with weights drawn from <paramref name="seed"/>.</summary>
    public static QuantUNetModel CreateModel(ArchitectureOptions options, int seed)
    {
        random.manual_seed(seed);
        return new QuantUNetModel(options);
    }

    /// <summary>
    /// Copies weights and biases, and the BatchNorms' parameters and running statistics, from another model of the same
    /// shape (warm start of QAT from a float model).
    /// </summary>
    public static void CopyWeights(QuantUNetModel from, QuantUNetModel to)
    {
        if (from.Options.BatchNorm != to.Options.BatchNorm)
            throw new ArgumentException($"Cannot copy the weights of a model {(from.Options.BatchNorm ? "with" : "without")} BatchNorm into one {(to.Options.BatchNorm ? "with" : "without")}.");
        using var _ = no_grad();
        foreach (var (source, target) in from.Layers.Zip(to.Layers))
        {
            if (!source.Weight.shape.SequenceEqual(target.Weight.shape))
                throw new ArgumentException($"Layer {source.GetName()}: cannot copy weights [{string.Join(", ", source.Weight.shape)}] into [{string.Join(", ", target.Weight.shape)}].");
            target.Weight.copy_(source.Weight);
            target.Bias.copy_(source.Bias);
            if (source.Norm is null || target.Norm is null) continue;
            foreach (var ((_, value), (_, copy)) in source.Norm.named_parameters().Zip(target.Norm.named_parameters())) copy.copy_(value);
            foreach (var ((_, value), (_, copy)) in source.Norm.named_buffers().Zip(target.Norm.named_buffers())) copy.copy_(value);
        }
    }

    /// <summary>The float network with <paramref name="model"/>'s weights and quantization off (eval mode): the baseline a quantized model is compared with.</summary>
    public static QuantUNetModel FloatTwin(QuantUNetModel model)
    {
        var twin = new QuantUNetModel(model.Options with { Quantize = false });
        CopyWeights(model, twin);
        twin.eval();
        return twin;
    }

    /// <summary>
    /// Trains <paramref name="model"/> for <c>options.Epochs</c> epochs. With <see cref="TrainingOptions.CheckpointDirectory"/>
    /// set, the run checkpoints after every epoch and resumes from a checkpoint it finds there (see <see cref="WarmStartTraining"/>).
    /// <paramref name="log"/> hears what the run does not stop for: an epoch's model package written without its integer
    /// model (<see cref="TrainingOptions.EpochModelDirectory"/>), and why.
    /// </summary>
    public static TrainingResult Train(
        QuantUNetModel model,
        IReadOnlyList<SegmentationSample> training,
        IReadOnlyList<SegmentationSample>? validation,
        TrainingOptions options,
        Action<TrainingProgress>? progress = null,
        Action<EpochRecord>? epochEnded = null,
        Action<string>? log = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        if (options.CheckpointDirectory is not null)
            return WarmStartTraining.TrainCheckpointed(model, training, validation, options, progress, epochEnded, log, cancellation);
        if (options.Threads > 0) set_num_threads(options.Threads);
        random.manual_seed(options.Seed);
        using var data = TrainingData.Stack(training, validation);
        using var optimizer = CreateOptimizer(model, options);
        var records = new List<EpochRecord>();
        var best = new BestEpochTracker();
        TrainEpochs(model, optimizer, data, options, TrainingRandom.FromSeed(options.Seed), records, best, progress, epochEnded, cancellation, log: log);
        int bestEpoch = best.Restore(model, records);
        model.eval();
        return new TrainingResult(model, records, bestEpoch);
    }

    /// <summary>
    /// Trains the epochs after those in <paramref name="records"/> up to <c>options.Epochs</c>, appending a record
    /// for each and offering it to <paramref name="best"/> before <paramref name="epochEnded"/> sees it; <paramref name="random"/>
    /// shuffles and augments, so its state, the optimiser's and <paramref name="best"/>'s are all a resume needs.
    /// The learning rates fall over <paramref name="scheduleEpochs"/> epochs (default <c>options.Epochs</c>; more when the
    /// phase is the first part of a longer schedule, see <see cref="WarmStartSchedule.FloatScheduleEpochs"/>).
    /// </summary>
    internal static void TrainEpochs(
        QuantUNetModel model, Adam optimizer, TrainingData data, TrainingOptions options, TrainingRandom random, List<EpochRecord> records,
        BestEpochTracker best, Action<TrainingProgress>? progress, Action<EpochRecord>? epochEnded, CancellationToken cancellation,
        int? scheduleEpochs = null, Action<string>? log = null)
    {
        int count = data.Count;
        int steps = (count + options.BatchSize - 1) / options.BatchSize;
        int frozenFrom = model.Quantize ? options.Epochs - options.FrozenWidthEpochs(options.Epochs) + 1 : int.MaxValue;
        double widthRate = model.Quantize ? options.BitwidthLearningRate((long)(frozenFrom - 1) * steps, model.LearnableWeightBitRange) : 0;
        using var average = options.WeightAverageEpochs > 0 ? best.StartAverage(model, Math.Max(1, options.WeightAverageEpochs * steps)) : null; // under a step: the weights themselves
        for (int epoch = records.Count + 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            bool widthsFrozen = epoch >= frozenFrom;
            bool bitwidthOn = model.Quantize && options.Lambda > 0 && epoch > options.BitwidthWarmupEpochs && !widthsFrozen;
            var order = random.Permutation(count);
            double total = 0, bce = 0, dice = 0, bits = 0, learningRate = 0;
            model.train();
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var indices = order.Skip(step * options.BatchSize).Take(options.BatchSize).Select(i => (long)i).ToArray();
                var index = tensor(indices);
                var (x, y) = Augmentation.Apply(data.Images.index_select(0, index), data.Masks.index_select(0, index), options.Augmentation, random);
                learningRate = SetLearningRates(optimizer, options, (long)(epoch - 1) * steps + step, (long)(scheduleEpochs ?? options.Epochs) * steps, widthsFrozen ? 0 : widthRate);
                var terms = Step(model, optimizer, x, y, options, bitwidthOn);
                average?.Update();
                total += terms.Total; bce += terms.BinaryCrossEntropy; dice += terms.Dice; bits += terms.Bitwidth;
                progress?.Invoke(new TrainingProgress(epoch, options.Epochs, step + 1, steps, terms.Total));
            }

            // The epoch is validated and offered as the kept model with the weight average in the model, when there is one.
            EpochRecord Close()
            {
                var record = new EpochRecord(
                    epoch, bitwidthOn,
                    new LossTerms(total / steps, bce / steps, dice / steps, bits / steps),
                    data.Validation is var (vx, vy) ? Validate(model, vx, vy, options.BatchSize) : null,
                    model.Bitwidths(),
                    clock.Elapsed.TotalSeconds,
                    widthsFrozen, learningRate);
                best.Consider(record, model, BestEpoch.IsEligible(record, model.Quantize, options, options.Epochs, scheduleEpochs ?? options.Epochs), averaged: average is not null);
                if (options.EpochModelDirectory is { } folder) SaveEpochModel(model, record, folder, data.ImageSize, options.Seed, log);
                return record;
            }
            var record = average is null ? Close() : average.With(Close);
            records.Add(record);
            epochEnded?.Invoke(record);
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/> after <paramref name="record"/>'s epoch into <paramref name="folder"/> (<see cref="TrainingOptions.EpochModelDirectory"/>).
    /// An integer export that is refused leaves the package with the TorchSharp weights alone, as it does the run's final model, and <paramref name="log"/> hears why.
    /// </summary>
    private static void SaveEpochModel(QuantUNetModel model, EpochRecord record, string folder, ImageSize imageSize, int seed, Action<string>? log)
    {
        var name = WarmStartTraining.EpochModelFileName(model.Quantize ? TrainingPhase.Quantized : TrainingPhase.Float, record.Epoch);
        var path = Path.Combine(folder, name);
        AtomicFile.DeleteUnfinishedWrites(path); // a run killed while writing this epoch's file, now training the epoch again
        ModelFile.Package(model, imageSize, ModelFile.Record(seed, [record]), problem => log?.Invoke($"warning: {name}: {problem}")).Save(path);
    }

    /// <summary>One optimiser step on one batch; returns the loss terms (the bitwidth term before lambda).</summary>
    public static LossTerms Step(QuantUNetModel model, Adam optimizer, Tensor images, Tensor masks, TrainingOptions options, bool bitwidthOn)
    {
        using var scope = NewDisposeScope(); // the step's tensors live until it ends, whoever calls it
        optimizer.zero_grad();
        var logits = model.forward(images);
        var bce = SegmentationLoss.BinaryCrossEntropy(logits, masks);
        var dice = SegmentationLoss.SoftDice(logits, masks);
        var loss = bce.Plus(dice);
        double bitTerm = 0;
        if (model.Quantize)
        {
            var bitLoss = BitwidthLoss.Compute(model, options);
            bitTerm = bitLoss.item<float>();
            if (bitwidthOn) loss = loss.Plus(bitLoss.Times(options.Lambda));
        }
        loss.backward();
        optimizer.step();
        model.ProjectQuantizerParameters();
        return new LossTerms(loss.item<float>(), bce.item<float>(), dice.item<float>(), bitTerm);
    }

    /// <summary>
    /// Adam with one group for weights and biases and, for a quantized model, one for thresholds and one for bitwidth
    /// offsets (each possibly empty), at their own learning rates; <see cref="SetLearningRates"/> sets them every step.
    /// With <see cref="TrainingOptions.TargetBits"/> set, the offsets' group has no momentum.
    /// </summary>
    public static Adam CreateOptimizer(QuantUNetModel model, TrainingOptions options)
    {
        var groups = new List<Adam.ParamGroup>
        {
            new(model.WeightParameters(), new Adam.Options { LearningRate = options.LearningRate }),
        };
        if (model.Quantize)
        {
            var offsets = BitwidthOffsets(model).Select(p => p.Handle).ToHashSet();
            var trainable = model.QuantizerParameters().Where(p => p.requires_grad).ToList();
            groups.Add(new(trainable.Where(p => !offsets.Contains(p.Handle)).ToList(), new Adam.Options { LearningRate = options.QuantizerLearningRate }));
            // Under a bit budget the widths move without momentum (beta1 0): the hinge pulls at full strength until the average
            // reaches the target and then not at all, and momentum carried every width on past it together (LGG, --target-bits 4:
            // 3.70 bits at 128 px, 3.61 at 64 px; 3.91 without). The plain lambda term never lets go: Adam's default there.
            groups.Add(new(trainable.Where(p => offsets.Contains(p.Handle)).ToList(),
                new Adam.Options { LearningRate = options.QuantizerLearningRate, beta1 = options.TargetBits is null ? null : 0 }));
        }
        return optim.Adam(groups, options.LearningRate);
    }

    /// <summary>
    /// Sets the groups' rates for step <paramref name="step"/> of <paramref name="totalSteps"/> in the phase: weights and
    /// thresholds follow <see cref="TrainingOptions.LearningRateSchedule"/> so that the model settles; bitwidth offsets keep
    /// <paramref name="widthRate"/> (see <see cref="TrainingOptions.BitwidthLearningRate"/>; a width falls in whole bits: a
    /// decaying rate would only delay reaching a budget), 0 once the widths freeze, which Adam turns into no move at all.
    /// Returns the weights' rate.
    /// </summary>
    internal static double SetLearningRates(Adam optimizer, TrainingOptions options, long step, long totalSteps, double widthRate)
    {
        double factor = LearningRateSchedule.Factor(options.LearningRateSchedule, step, totalSteps);
        double[] rates = [options.LearningRate * factor, options.QuantizerLearningRate * factor, widthRate];
        foreach (var (group, rate) in optimizer.ParamGroups.Zip(rates)) group.LearningRate = rate;
        return rates[0];
    }

    private static IEnumerable<Parameter> BitwidthOffsets(QuantUNetModel model) =>
        model.Layers.SelectMany(l => new[] { l.WeightQuantizer.Bitwidth.Offset, l.InputQuantizer.Bitwidth.Offset });

    private static ValidationFigures Validate(QuantUNetModel model, Tensor images, Tensor masks, int batchSize)
    {
        using var scope = NewDisposeScope();
        var logits = ModelScoring.Logits(model, images, batchSize);
        var loss = SegmentationLoss.BinaryCrossEntropy(logits, masks).Plus(SegmentationLoss.SoftDice(logits, masks));
        var counts = ModelScoring.Counts(logits, masks);
        return new ValidationFigures(loss.item<float>(), counts.Dice, counts.IoU, counts.PixelAccuracy);
    }
}
