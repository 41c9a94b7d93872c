using System.Diagnostics;
using QuantUNet.Cli.Commands;
using QuantUNet.Data;
using QuantUNet.Integer.Format;
using QuantUNet.MLNet;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Demo;

/// <summary>
/// The demo: the float baseline and QuantU-Net trained on the embedded synthetic MRI set and compared
/// on held-out synthetic patients. Both models see the same number of epochs: QuantU-Net starts from
/// the float model's weights after <see cref="WarmStartSchedule.WarmStartFraction"/> of them and trains the rest with
/// quantization and the bitwidth term on.
/// </summary>
internal static class DemoRun
{
    public const string FloatModelFile = "float.qunet", QuantModelFile = "quantunet.qunet", IntegerModelFileName = "quantunet" + IntegerModelFile.Extension;

    private const int TimedSteps = 15;

    public static DemoReport Run(DemoOptions settings, int seed, int threads, string outDirectory, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        if (threads > 0) set_num_threads(threads);
        var (training, heldOut) = Data(settings, seed);
        log($"data: {training.Count} training and {heldOut.Count} held-out synthetic slices of {settings.ImageSize}x{settings.ImageSize}, split by patient");

        var options = new TrainingOptions { Epochs = settings.Epochs, BatchSize = settings.BatchSize, Seed = seed, Threads = threads };
        int warmStartEpoch = WarmStartSchedule.DefaultWarmStartEpoch(settings.Epochs);
        // The float model trains every epoch: it is the fully trained baseline QuantU-Net is compared with.
        var schedule = new WarmStartSchedule(settings.Epochs, warmStartEpoch, settings.Epochs - warmStartEpoch);
        var run = WarmStartTraining.Train(Architecture(settings), training, heldOut, options, schedule,
            (name, record) => log(WarmStartTraining.Describe(name, record)), log);
        var (floatRun, quantRun) = (run.Float!, run.Quantized!);
        var (floatModel, quantModel) = (floatRun.Model, quantRun.Model);

        log("timing a training step of each on the same batch");
        var timing = TimeSteps(settings, training, options, seed);

        Directory.CreateDirectory(outDirectory);
        var size = ImageSize.Square(settings.ImageSize);
        var floatPath = Path.Combine(outDirectory, FloatModelFile);
        var floatPackage = ModelFile.Package(floatModel, size, ModelFile.Record(seed, floatRun.Epochs), problem => throw new InvalidDataException($"{floatPath}: {problem}"));
        floatPackage.Save(floatPath);

        log("exporting QuantU-Net to the integer engine and checking it against the fake-quant model on the held-out slices");
        var quantPath = Path.Combine(outDirectory, QuantModelFile);
        var package = ModelFile.Package(quantModel, size, ModelFile.Record(seed, quantRun.Epochs), problem => throw new InvalidDataException($"{quantPath}: {problem}"));
        package.Save(quantPath);
        // The integer model alone too: what a device without TorchSharp runs.
        var integerPath = Path.Combine(outDirectory, IntegerModelFileName);
        IntegerModelFile.Save(package.IntegerModel!, integerPath);

        log("evaluating on the held-out patients");
        var floatScores = PackageScores.Of(floatPackage, heldOut, ScoringMode.Float);
        var quantScores = PackageScores.Of(package, heldOut, ScoringMode.FakeQuantized);
        var integerCheck = DemoReport.IntegerResult.Of(package, heldOut, get_num_threads(), new FileInfo(integerPath).Length);

        return new DemoReport
        {
            Settings = settings,
            Seed = seed,
            Threads = get_num_threads(),
            WarmStartEpoch = warmStartEpoch,
            TrainingSlices = training.Count,
            HeldOutSlices = heldOut.Count,
            Float = DemoReport.ModelResult.From(floatScores, floatModel, floatRun.Epochs, "float"),
            Quantized = DemoReport.ModelResult.From(quantScores, quantModel, quantRun.Epochs, "quant"),
            Integer = integerCheck,
            Timing = timing,
            TotalSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The synthetic slices of a demo, split by patient into training and held-out sets; the same for the same settings and seed.</summary>
    public static (IReadOnlyList<SegmentationSample> Training, IReadOnlyList<SegmentationSample> HeldOut) Data(DemoOptions settings, int seed)
    {
        var generator = new SyntheticMriGenerator(new SyntheticMriGenerator.Options
        {
            Size = ImageSize.Square(settings.ImageSize), Seed = seed,
        });
        var all = generator.Generate(settings.TrainingSlices + settings.HeldOutSlices);
        return DatasetSplit.ByGroup(all, (double)settings.HeldOutSlices / all.Count, seed);
    }

    private static ArchitectureOptions Architecture(DemoOptions settings, bool quantize = false) =>
        new() { InputChannels = 1, BaseWidth = settings.BaseWidth, Quantize = quantize };

    private static DemoReport.StepTimes TimeSteps(DemoOptions settings, IReadOnlyList<SegmentationSample> training, TrainingOptions options, int seed)
    {
        var (images, masks) = SampleTensors.Stack(training.Take(settings.BatchSize).ToList());
        // Fresh models, so that timing does not disturb the trained ones; the warm-up ends calibration.
        int warmup = new ActivationThresholdOptions().CalibrationBatches + 2;
        using var floatModel = SegmentationTrainer.CreateModel(Architecture(settings, quantize: false), seed);
        using var quantModel = SegmentationTrainer.CreateModel(Architecture(settings, quantize: true), seed);
        var medians = StepTiming.MedianStepSeconds([floatModel, quantModel], images, masks, options, warmup, TimedSteps);
        return new DemoReport.StepTimes(medians[0], medians[1], TimedSteps);
    }
}
