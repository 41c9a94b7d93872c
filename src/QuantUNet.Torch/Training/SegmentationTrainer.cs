using System.Diagnostics;
using QuantUNet.Data;
using QuantUNet.Torch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>The result of a training run: the trained model and one record per epoch.</summary>
public sealed record TrainingResult(QuantUNetModel Model, IReadOnlyList<EpochRecord> Epochs);

/// <summary>
/// Trains a <see cref="QuantUNetModel"/> (quantized or float) with Adam on BCE + Dice + lambda * bitwidth
/// loss. Weights and quantizer parameters (bitwidth offsets, thresholds) are two optimiser groups with
/// their own learning rates. Seeded and repeatable on CPU. Knows nothing of ML.NET.
/// </summary>
public static class SegmentationTrainer
{
    /// <summary>Builds a model with weights drawn from <paramref name="seed"/>.</summary>
    public static QuantUNetModel CreateModel(QuantUNetOptions options, int seed)
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
    /// </summary>
    public static TrainingResult Train(
        QuantUNetModel model,
        IReadOnlyList<SegmentationSample> training,
        IReadOnlyList<SegmentationSample>? validation,
        TrainingOptions options,
        Action<TrainingProgress>? progress = null,
        Action<EpochRecord>? epochEnded = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        if (options.CheckpointDirectory is not null)
            return WarmStartTraining.TrainCheckpointed(model, training, validation, options, progress, epochEnded, cancellation);
        if (options.Threads > 0) set_num_threads(options.Threads);
        random.manual_seed(options.Seed);
        using var data = TrainingData.Stack(training, validation);
        using var optimizer = CreateOptimizer(model, options);
        var records = new List<EpochRecord>();
        TrainEpochs(model, optimizer, data, options, TrainingRandom.FromSeed(options.Seed), records, progress, epochEnded, cancellation);
        model.eval();
        return new TrainingResult(model, records);
    }

    /// <summary>
    /// Trains the epochs after those in <paramref name="records"/> up to <c>options.Epochs</c>, appending a record
    /// for each; <paramref name="random"/> shuffles and augments, so its state and the optimiser's are all a resume needs.
    /// </summary>
    internal static void TrainEpochs(
        QuantUNetModel model, Adam optimizer, TrainingData data, TrainingOptions options, TrainingRandom random, List<EpochRecord> records,
        Action<TrainingProgress>? progress, Action<EpochRecord>? epochEnded, CancellationToken cancellation)
    {
        int count = data.Count;
        int steps = (count + options.BatchSize - 1) / options.BatchSize;
        for (int epoch = records.Count + 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            bool bitwidthOn = model.Quantize && options.Lambda > 0 && epoch > options.BitwidthWarmupEpochs;
            var order = random.Permutation(count);
            double total = 0, bce = 0, dice = 0, bits = 0;
            model.train();
            for (int step = 0; step < steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var indices = order.Skip(step * options.BatchSize).Take(options.BatchSize).Select(i => (long)i).ToArray();
                var index = tensor(indices);
                var (x, y) = Augment(data.Images.index_select(0, index), data.Masks.index_select(0, index), options.Augment ? random : null);
                var terms = Step(model, optimizer, x, y, options, bitwidthOn);
                total += terms.Total; bce += terms.BinaryCrossEntropy; dice += terms.Dice; bits += terms.Bitwidth;
                progress?.Invoke(new TrainingProgress(epoch, options.Epochs, step + 1, steps, terms.Total));
            }

            var record = new EpochRecord(
                epoch, bitwidthOn,
                new LossTerms(total / steps, bce / steps, dice / steps, bits / steps),
                data.Validation is var (vx, vy) ? Validate(model, vx, vy, options.BatchSize) : null,
                model.Bitwidths(),
                clock.Elapsed.TotalSeconds);
            records.Add(record);
            epochEnded?.Invoke(record);
        }
    }

    /// <summary>One optimiser step on one batch; returns the loss terms (the bitwidth term before lambda).</summary>
    public static LossTerms Step(QuantUNetModel model, Adam optimizer, Tensor images, Tensor masks, TrainingOptions options, bool bitwidthOn)
    {
        optimizer.zero_grad();
        var logits = model.forward(images);
        var bce = SegmentationLoss.BinaryCrossEntropy(logits, masks);
        var dice = SegmentationLoss.SoftDice(logits, masks);
        var loss = bce + dice;
        double bitTerm = 0;
        if (model.Quantize)
        {
            var bitLoss = BitwidthLoss.Compute(model, options.BitwidthLoss, options.PenalizeActivationBits);
            bitTerm = bitLoss.item<float>();
            if (bitwidthOn) loss = loss + options.Lambda * bitLoss;
        }
        loss.backward();
        optimizer.step();
        model.ProjectQuantizerParameters();
        return new LossTerms(loss.item<float>(), bce.item<float>(), dice.item<float>(), bitTerm);
    }

    /// <summary>Adam with one group for weights and one, at its own learning rate, for quantizer parameters.</summary>
    public static Adam CreateOptimizer(QuantUNetModel model, TrainingOptions options)
    {
        var groups = new List<Adam.ParamGroup>
        {
            new(model.WeightParameters(), new Adam.Options { LearningRate = options.LearningRate }),
        };
        var quantizer = model.QuantizerParameters().Where(p => p.requires_grad).ToList();
        if (model.Quantize && quantizer.Count > 0)
            groups.Add(new(quantizer, new Adam.Options { LearningRate = options.QuantizerLearningRate }));
        return optim.Adam(groups, options.LearningRate);
    }

    private static ValidationFigures Validate(QuantUNetModel model, Tensor images, Tensor masks, int batchSize)
    {
        using var scope = NewDisposeScope();
        var logits = ModelScoring.Logits(model, images, batchSize);
        var loss = SegmentationLoss.BinaryCrossEntropy(logits, masks) + SegmentationLoss.SoftDice(logits, masks);
        var counts = ModelScoring.Counts(logits, masks);
        return new ValidationFigures(loss.item<float>(), counts.Dice, counts.IoU, counts.PixelAccuracy);
    }

    private static (Tensor Images, Tensor Masks) Augment(Tensor images, Tensor masks, TrainingRandom? random)
    {
        if (random is null) return (images, masks);
        // Whole-batch flips: cheap, and a lesion is a lesion mirrored too.
        foreach (long axis in new long[] { 3, 2 })
        {
            if (random.Next(2) == 0) continue;
            images = images.flip(axis);
            masks = masks.flip(axis);
        }
        return (images, masks);
    }
}
