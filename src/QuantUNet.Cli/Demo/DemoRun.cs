using System.Diagnostics;
using QuantUNet.Cli.Training;
using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Demo;

/// <summary>
/// The demo: the float baseline and QuantU-Net trained on the embedded synthetic MRI set and compared
/// on held-out synthetic patients. Both models see the same number of epochs: QuantU-Net starts from
/// the float model's weights after <see cref="WarmStartRecipe.WarmStartFraction"/> of them and trains the rest with
/// quantization and the bitwidth term on.
/// </summary>
internal static class DemoRun
{
    private const int TimedSteps = 15;

    public static DemoReport Run(DemoSettings settings, int seed, int threads, string outDirectory, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        if (threads > 0) set_num_threads(threads);
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options
        {
            Size = ImageSize.Square(settings.ImageSize), Seed = seed,
        });
        var all = generator.Generate(settings.TrainingSlices + settings.HeldOutSlices);
        var (training, heldOut) = DatasetSplit.ByGroup(all, (double)settings.HeldOutSlices / all.Count, seed);
        log($"data: {training.Count} training and {heldOut.Count} held-out synthetic slices of {settings.ImageSize}x{settings.ImageSize}, split by patient");

        var options = new TrainingOptions { Epochs = settings.Epochs, BatchSize = settings.BatchSize, Seed = seed, Threads = threads };
        int warmStartEpoch = WarmStartRecipe.WarmStartEpoch(settings.Epochs);
        // The float model trains every epoch: it is the fully trained baseline QuantU-Net is compared with.
        var (floatModel, floatRun, quantModel, quantRun) = WarmStartRecipe.Train(Architecture(settings), training, heldOut, options,
            warmStartEpoch, floatEpochs: settings.Epochs, (name, record) => log(WarmStartRecipe.Describe(name, record)), log);

        log("evaluating on the held-out patients");
        var floatScores = ModelScoring.Evaluate(floatModel, heldOut, settings.BatchSize);
        var quantScores = ModelScoring.Evaluate(quantModel, heldOut, settings.BatchSize);

        log("timing a training step of each on the same batch");
        var timing = TimeSteps(settings, training, options, seed);

        Directory.CreateDirectory(outDirectory);
        ModelFile.Save(floatModel, Path.Combine(outDirectory, "float.qunet"), new ModelMetadata { Seed = seed, Epochs = floatRun.Epochs });
        ModelFile.Save(quantModel, Path.Combine(outDirectory, "quantunet.qunet"), new ModelMetadata { Seed = seed, Epochs = quantRun.Epochs });

        return new DemoReport
        {
            Settings = settings,
            Seed = seed,
            Threads = get_num_threads(),
            WarmStartEpoch = warmStartEpoch,
            TrainingSlices = training.Count,
            HeldOutSlices = heldOut.Count,
            Float = DemoReport.ModelResult.From(floatScores, floatModel.Bitwidths(), floatRun.Epochs),
            Quantized = DemoReport.ModelResult.From(quantScores, quantModel.Bitwidths(), quantRun.Epochs),
            Timing = timing,
            TotalSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static QuantUNetOptions Architecture(DemoSettings settings, bool quantize = false) =>
        new() { InputChannels = 1, BaseWidth = settings.BaseWidth, Quantize = quantize };

    private static DemoReport.StepTimes TimeSteps(DemoSettings settings, IReadOnlyList<SegmentationSample> training, TrainingOptions options, int seed)
    {
        var (images, masks) = SampleTensors.Stack(training.Take(settings.BatchSize).ToList());
        // Fresh models, so that timing does not disturb the trained ones; the warm-up ends calibration.
        int warmup = new ActivationThresholdSettings().CalibrationBatches + 2;
        using var floatModel = SegmentationTrainer.CreateModel(Architecture(settings, quantize: false), seed);
        using var quantModel = SegmentationTrainer.CreateModel(Architecture(settings, quantize: true), seed);
        var medians = StepTiming.MedianStepSeconds([floatModel, quantModel], images, masks, options, warmup, TimedSteps);
        return new DemoReport.StepTimes(medians[0], medians[1], TimedSteps);
    }
}
