using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Training;

namespace QuantUNet.MLNet;

/// <summary>
/// Trains a QuantU-Net (a U-Net whose 23 layers learn their own bitwidths) on an image column and a mask column, and
/// returns a <see cref="QuantUNetTransformer"/>. Create it with <c>mlContext.Segmentation().Trainers.QuantUNet(...)</c>.
/// Every epoch is logged through <c>mlContext.Log</c>; <see cref="Options.Progress"/> reports each step.
/// </summary>
public sealed class QuantUNetTrainer : IEstimator<QuantUNetTransformer>
{
    private const string ValidationSetHint = " The validation set reaches the trainer as given: transform it with the"
        + " pipeline's steps before the trainer, e.g. preprocessing.Fit(train).Transform(validation).";

    private readonly IHost _host;
    private readonly Options _options;

    internal QuantUNetTrainer(IHostEnvironment environment, Options options)
    {
        _host = environment.Register(nameof(QuantUNetTrainer));
        _options = options;
        options.Validate();
    }

    /// <summary>Every setting of the trainer: columns, architecture, training and scoring. Training defaults are <see cref="TrainingOptions"/>' own.</summary>
    public sealed class Options
    {
        private static readonly TrainingOptions Defaults = new();

        /// <summary>The input image: an MLImage column of known size (LoadImages then ResizeImages), a known-size float
        /// vector [C, H, W] or [H, W] from ExtractPixels (planar, <c>interleavePixelColors: false</c>), or a flat float
        /// vector of <see cref="ImageChannels"/> x <see cref="ImageHeight"/> x <see cref="ImageWidth"/> planar values; floats
        /// scaled to [0, 1] (<c>scaleImage: 1f / 255</c>). Any height and width: sides that are not multiples of 16 are
        /// padded at the bottom and right for the network and its outputs cropped back (<c>QuantUNet.Integer.ImagePadding</c>).</summary>
        public string ImageColumnName = "Image";

        /// <summary>The true mask: an MLImage column, or a known-size vector of float, byte or bool with H x W values.
        /// Foreground is above half the mask's full scale: 1 when its largest value is at most 1, else 255 (bool as is). Default "Label".</summary>
        public string LabelColumnName = "Label";

        /// <summary>Output: Vector&lt;Single&gt; [H, W] of foreground probabilities. Default "Score".</summary>
        public string ScoreColumnName = "Score";

        /// <summary>Output: Vector&lt;Boolean&gt; [H, W], true where the model's logit is above 0. Default "PredictedLabel".</summary>
        public string PredictedLabelColumnName = "PredictedLabel";

        /// <summary>Optional output: the predicted mask as a grey MLImage (255 foreground), for saving PNGs; null adds none.</summary>
        public string? PredictedMaskImageColumnName;

        /// <summary>Scored after every epoch and logged (pooled Dice, IoU, pixel accuracy). It must hold the columns the
        /// trainer reads, so transform it with the pipeline's steps before the trainer (as ML.NET's own trainers expect).</summary>
        public IDataView? ValidationSet;

        /// <summary>How an MLImage column is read: 1 channel (grey value) or 3 (R, G, B); also the planes of a flat float
        /// vector. A [C, H, W] vector brings its own channel count. Default 1.</summary>
        public int ImageChannels = 1;

        /// <summary>Height in pixels of the images of a flat (one-dimensional or variable-size) float image column, which
        /// does not say its shape; null (default) for an MLImage or [C, H, W] column. Set together with <see cref="ImageWidth"/>.</summary>
        public int? ImageHeight;

        /// <summary>Width in pixels of the images of a flat float image column; null (default) when the column states its shape.</summary>
        public int? ImageWidth;

        /// <summary>Channels of the first U-Net level; each of the four levels below doubles it. Default 16.</summary>
        public int BaseWidth = 16;

        /// <summary>False trains the float baseline: the same network with every quantizer off. Default true (QuantU-Net).</summary>
        public bool Quantize = true;

        /// <summary>How the model maps the [0, 1] intensities it receives before its first quantizer (part of the saved model). Default <see cref="PixelNormalization.UnitRange"/>.</summary>
        public PixelNormalization Normalization = PixelNormalization.UnitRange;

        /// <summary>Bit ranges and scaling of the quantizers (learned widths from 8 down to at least 2 weight bits and 4 activation bits by default).</summary>
        public QuantizationOptions Quantization = new();

        /// <summary>
        /// How the transformer scores; null picks <see cref="SegmentationScorer.DefaultMode"/>: the integer engine for a
        /// quantized model (fake-quantized when its integer export was refused), float for the float baseline. Choose
        /// again after loading with <see cref="QuantUNetTransformer.WithScoringMode"/>.
        /// </summary>
        public ScoringMode? ScoringMode;

        /// <summary>Images scored at once by the transformer. Default 16.</summary>
        public int ScoringBatchSize = SegmentationScorer.DefaultBatchSize;

        /// <summary>
        /// All training epochs (passes over the training data), the float warm start included, as <c>quantunet train --epochs</c>
        /// counts them: the default 10 are 8 float epochs and then 2 quantization-aware ones (see <see cref="FloatWarmStartEpochs"/>).
        /// The float baseline (<see cref="Quantize"/> false) trains them all as float epochs.
        /// </summary>
        public int Epochs = Defaults.Epochs;

        /// <summary>
        /// How many of the <see cref="Epochs"/> train the float U-Net before quantization-aware training starts from its
        /// weights. Null (default): <see cref="WarmStartSchedule.DefaultWarmStartEpoch"/> of them (the share
        /// <see cref="WarmStartSchedule.WarmStartFraction"/>), the recipe the README recommends and <c>quantunet train</c> uses;
        /// 0 trains quantized from scratch, where the 8-bit quantizers can leave a small network predicting background only
        /// for many epochs. Ignored for the float baseline.
        /// </summary>
        public int? FloatWarmStartEpochs;

        /// <summary>Images a training step (16).</summary>
        public int BatchSize = Defaults.BatchSize;

        /// <summary>Adam learning rate of weights and biases (1e-3), before <see cref="LearningRateSchedule"/> scales it.</summary>
        public double LearningRate = Defaults.LearningRate;

        /// <summary>Adam learning rate of the bitwidth offsets and thresholds (1e-2); thresholds follow <see cref="LearningRateSchedule"/>, offsets keep it until the widths freeze.</summary>
        public double QuantizerLearningRate = Defaults.QuantizerLearningRate;

        /// <summary>
        /// The weights' learning rate in quantization-aware training after the float warm start, as a share of
        /// <see cref="LearningRate"/> (0.3): QAT folds each BatchNorm with frozen statistics, so a full-rate step undoes the warm start.
        /// </summary>
        public double WarmStartedQatLearningRateFactor = Defaults.WarmStartedQatLearningRateFactor;

        /// <summary>How the learning rates fall over each phase: <see cref="LearningRateScheduleKind.Cosine"/> (default) to 1% of the rate, per step, or constant.</summary>
        public LearningRateScheduleKind LearningRateSchedule = Defaults.LearningRateSchedule;

        /// <summary>Weight of the bitwidth term: loss = BCE + Dice + Lambda x bitwidth loss (the paper's 0.25). Default 0.25.</summary>
        public double Lambda = Defaults.Lambda;

        /// <summary>How the bitwidth term averages the layers' weight widths (plain mean, the paper's statistic, by default).</summary>
        public BitwidthLossKind BitwidthLoss = Defaults.BitwidthLoss;

        /// <summary>
        /// A bit budget in average weight bits (2 to 8): the bitwidth term then penalises only the excess over it (a hinge),
        /// and the model kept is the best epoch within 0.25 bits of it. Null (default): the paper's plain lambda term.
        /// </summary>
        public double? TargetBits = Defaults.TargetBits;

        /// <summary>Average the activation widths into the bitwidth term as well (held to <see cref="TargetBits"/> too when set). Default true.</summary>
        public bool PenalizeActivationBits = Defaults.PenalizeActivationBits;

        /// <summary>Epochs trained before the bitwidth term switches on. Default 0.</summary>
        public int BitwidthWarmupEpochs = Defaults.BitwidthWarmupEpochs;

        /// <summary>The share of the quantization-aware epochs, at the end, trained with frozen widths (0.5; at least one epoch): the model kept is the best of those.</summary>
        public double FrozenWidthFraction = Defaults.FrozenWidthFraction;

        /// <summary>
        /// The share of each phase's learning-rate schedule, at its end, whose epochs may be kept (0.4: the best of epochs 13-20
        /// of 20); early epochs, whose weights still move by points from one epoch to the next, are not chosen. 1: every epoch.
        /// </summary>
        public double SettledEpochFraction = Defaults.SettledEpochFraction;

        /// <summary>
        /// The horizon, in epochs, of a moving average of the weights that each epoch is validated, chosen and kept with
        /// (smooths the epoch-to-epoch swing the best epoch is chosen on); 0: the weights themselves. Default 0.
        /// </summary>
        public double WeightAverageEpochs = Defaults.WeightAverageEpochs;

        /// <summary>Seeds weights, shuffling and augmentation; null derives it from the MLContext's seed.</summary>
        public int? Seed;

        /// <summary>TorchSharp intra-op threads; 0 keeps the library's default (all cores).</summary>
        public int Threads = Defaults.Threads;

        /// <summary>How training images are varied, per sample: <see cref="AugmentationKind.Full"/> (default: flips, small rotations and scales, intensity jitter), flips only, or none.</summary>
        public AugmentationKind Augmentation = Defaults.Augmentation;

        /// <summary>When set, a training checkpoint is written here after every epoch, and <c>Fit</c> resumes from one it finds
        /// there (same settings and data), so that an interrupted fit loses at most one epoch and ends as an uninterrupted one.</summary>
        public string? CheckpointDirectory;

        /// <summary>When set, every epoch's model package is written here as the epoch ends (<c>float-07.qunet</c>, <c>quant-03.qunet</c>;
        /// see <see cref="TrainingOptions.EpochModelDirectory"/>), for scoring epochs the validation did not pick; <c>FromModelFile</c> reads them.</summary>
        public string? EpochModelDirectory;

        /// <summary>Called after every training step with the epoch, the step and the loss (float warm-start epochs come first, numbered on their own).</summary>
        public Action<TrainingProgress>? Progress;

        /// <summary>
        /// Stops <c>Fit</c> with an <see cref="OperationCanceledException"/> before the next training step, as cancelling
        /// the MLContext does (<c>mlContext.CancelExecution()</c> of Microsoft.ML.Experimental); the model's native memory is
        /// released and no checkpoint is left half-written (checkpoints are written whole, after an epoch).
        /// </summary>
        public CancellationToken CancellationToken;

        /// <summary>The shape a flat float image column is read as, when <see cref="ImageHeight"/> and <see cref="ImageWidth"/> say it.</summary>
        internal ImageShape? FlatImageShape() =>
            ImageHeight is { } height && ImageWidth is { } width ? new ImageShape(ImageChannels, height, width) : null;

        internal ColumnNames Columns => new(ImageColumnName, ScoreColumnName, PredictedLabelColumnName, PredictedMaskImageColumnName);

        internal TrainingOptions Training(int seed) => new()
        {
            Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, QuantizerLearningRate = QuantizerLearningRate,
            WarmStartedQatLearningRateFactor = WarmStartedQatLearningRateFactor, LearningRateSchedule = LearningRateSchedule, Lambda = Lambda, BitwidthLoss = BitwidthLoss, TargetBits = TargetBits,
            PenalizeActivationBits = PenalizeActivationBits, BitwidthWarmupEpochs = BitwidthWarmupEpochs, FrozenWidthFraction = FrozenWidthFraction,
            SettledEpochFraction = SettledEpochFraction, WeightAverageEpochs = WeightAverageEpochs, Seed = seed, Threads = Threads, Augmentation = Augmentation, CheckpointDirectory = CheckpointDirectory,
            EpochModelDirectory = EpochModelDirectory,
        };

        /// <summary>The float and quantization-aware epochs these options train: the split <c>quantunet train</c> makes.</summary>
        internal WarmStartSchedule Schedule() =>
            !Quantize ? WarmStartSchedule.FloatOnly(Epochs)
            : FloatWarmStartEpochs == 0 ? WarmStartSchedule.QuantizedOnly(Epochs)
            : WarmStartSchedule.Split(Epochs, FloatWarmStartEpochs);

        internal ArchitectureOptions Architecture(int inputChannels) => new()
        {
            InputChannels = inputChannels, BaseWidth = BaseWidth, Quantize = Quantize, Normalization = Normalization, Quantization = Quantization,
        };

        /// <summary>Refuses what no Fit could use, naming the field, before anything is read or built.</summary>
        internal void Validate()
        {
            foreach (var (name, value) in new[] { (nameof(ImageColumnName), ImageColumnName), (nameof(LabelColumnName), LabelColumnName),
                (nameof(ScoreColumnName), ScoreColumnName), (nameof(PredictedLabelColumnName), PredictedLabelColumnName) })
            {
                if (string.IsNullOrWhiteSpace(value))
                    throw new ArgumentException($"{Owner}.{name} must name a column.", name);
            }
            if (ImageChannels is not (1 or 3))
                throw OutOfRange(nameof(ImageChannels), ImageChannels, "an MLImage column is read as 1 (grey) or 3 (RGB) channels.");
            if (ImageHeight.HasValue != ImageWidth.HasValue)
                throw new ArgumentException($"{Owner}.{nameof(ImageHeight)} and {Owner}.{nameof(ImageWidth)} go together: set both for a flat image vector, or neither.",
                    ImageHeight.HasValue ? nameof(ImageWidth) : nameof(ImageHeight));
            if (ImageHeight < 1)
                throw OutOfRange(nameof(ImageHeight), ImageHeight, "an image has at least one row.");
            if (ImageWidth < 1)
                throw OutOfRange(nameof(ImageWidth), ImageWidth, "an image has at least one column.");
            if (ScoringBatchSize < 1)
                throw OutOfRange(nameof(ScoringBatchSize), ScoringBatchSize, "score at least one image at a time.");
            if (BaseWidth < 1)
                throw OutOfRange(nameof(BaseWidth), BaseWidth, "the first U-Net level needs at least one channel.");
            try
            {
                Architecture(ImageChannels).Validate(); // the quantizers' bit ranges
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentException($"{Owner}.{e.Message}", e);
            }
            Training(seed: 0).Validate(Owner);
            if (Quantize && FloatWarmStartEpochs is { } warm && (warm < 0 || warm >= Epochs))
                throw OutOfRange(nameof(FloatWarmStartEpochs), warm, FormattableString.Invariant(
                    $"between 0 (no warm start) and Epochs - 1 ({Epochs - 1}) of the {Epochs} epochs train float, so that quantization-aware epochs follow."));
            if (Quantize && FloatWarmStartEpochs is null && Epochs < 2)
                throw OutOfRange(nameof(Epochs), Epochs, "the float warm start (FloatWarmStartEpochs null) needs at least 2 epochs, one float and one quantization-aware; "
                    + "set FloatWarmStartEpochs = 0 to train quantized from scratch.");
            if (ScoringMode == MLNet.ScoringMode.FakeQuantized && !Quantize)
                throw new ArgumentException("ScoringMode.FakeQuantized needs a quantized model; the float baseline (Quantize = false) scores as ScoringMode.Float.", nameof(ScoringMode));
            if (ScoringMode == MLNet.ScoringMode.Integer && !Quantize)
                throw new ArgumentException("ScoringMode.Integer needs a quantized model; the float baseline (Quantize = false) has no integer form and scores as ScoringMode.Float.", nameof(ScoringMode));
        }

        private const string Owner = $"{nameof(QuantUNetTrainer)}.{nameof(Options)}";

        private static ArgumentOutOfRangeException OutOfRange(string field, object value, string rule) =>
            new(field, FormattableString.Invariant($"{Owner}.{field} is {value}: {rule}"));
    }

    /// <summary>The input shape with the transformer's output columns, after checking the image and label columns' kinds (their sizes are checked at <see cref="Fit"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of a kind the trainer cannot read (named in the message).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ImageColumn.CheckShape(inputSchema, _options.ImageColumnName);
        MaskColumn.CheckShape(inputSchema, _options.LabelColumnName, "label");
        return ScoredSchema.Shape(inputSchema, _options.Columns);
    }

    /// <summary>
    /// Reads the images and masks (checking every column first), trains, and returns the transformer. Stops with an
    /// <see cref="OperationCanceledException"/> before the next step once the MLContext or <see cref="Options.CancellationToken"/> is cancelled.
    /// </summary>
    public QuantUNetTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = _options;
        CheckAlive();
        var training = LabeledImages.Read(input, options, "training data", expected: null);
        var validation = options.ValidationSet is { } validationSet
            ? LabeledImages.Read(validationSet, options, "validation set", expected: training.Shape, ValidationSetHint)
            : null;
        var shape = training.Shape;

        int seed = options.Seed ?? _host.Rand.Next();
        var schedule = options.Schedule();
        using var channel = _host.Start("Training");
        foreach (var warning in DatasetWarnings.Check(training.Samples, "the training data"))
            channel.Warning(MessageSensitivity.None, warning);
        channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
            $"QuantU-Net: {(options.Quantize ? "quantization-aware" : "float")} training on {training.Samples.Count} images of {shape}"
            + $"{(validation is null ? "" : $", validating on {validation.Samples.Count}")}, base width {options.BaseWidth}, "
            + $"{(options.Quantize && schedule.FloatEpochs > 0 ? $"{schedule.FloatEpochs} float epochs then {schedule.QuantizedEpochs} quantization-aware" : $"{options.Epochs}")} epochs, seed {seed}."));

        var run = WarmStartTraining.Train(options.Architecture(shape.Channels), training.Samples, validation?.Samples, options.Training(seed), schedule,
            (name, record) => channel.Info(MessageSensitivity.None, name == WarmStartTraining.FloatName && options.Quantize
                ? Describe("float warm start, epoch", record, schedule.FloatEpochs, quantized: false)
                : Describe("epoch", record, options.Quantize ? schedule.QuantizedEpochs : schedule.FloatEpochs, options.Quantize)),
            log: line => channel.Info(MessageSensitivity.None, line),
            progress: step =>
            {
                CheckAlive(); // ML.NET's own trainers check the host once a step
                options.Progress?.Invoke(step);
            },
            cancellation: options.CancellationToken);
        var result = run.Final;
        channel.Info(MessageSensitivity.None, $"keeping the model of epoch {result.BestEpoch} of {result.Epochs.Count}"
            + (validation is null ? " (the last: no validation set)." : " (best pooled validation Dice among the eligible epochs)."));
        using var model = result.Model;
        if (run.Quantized is not null) run.Float?.Model.Dispose(); // only the warm start was wanted from it

        return TrainedTransformer.Create(model, ModelFile.Record(seed, result.Epochs), shape, options, channel);
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> when the MLContext or the options' token is cancelled.</summary>
    private void CheckAlive()
    {
        _options.CancellationToken.ThrowIfCancellationRequested();
        MLNetInternals.CheckAlive(_host);
    }

    private static string Describe(string stage, EpochRecord record, int epochs, bool quantized)
    {
        var loss = record.Training;
        var bits = record.Bitwidths;
        string validation = record.Validation is { } v
            ? FormattableString.Invariant($"; validation Dice {v.Dice:P2}, IoU {v.IoU:P2}, pixel accuracy {v.PixelAccuracy:P2}")
            : "";
        return FormattableString.Invariant(
            $"{stage} {record.Epoch}/{epochs}: loss {loss.Total:F4} (BCE {loss.BinaryCrossEntropy:F4}, Dice {loss.Dice:F4}, bitwidth {loss.Bitwidth:F4}{(record.BitwidthTermOn ? "" : ", off")})")
            + validation
            // A float model's quantizers are off: their widths mean nothing.
            + (quantized ? FormattableString.Invariant($"; bits weight {bits.AverageWeightBits:F2}, activation {bits.AverageActivationBits:F2}") : "")
            + FormattableString.Invariant($"; {record.Seconds:F1} s");
    }
}
