using System.Diagnostics;
using QuantUNet.Data;
using QuantUNet.Cli.Commands;
using QuantUNet.Integer;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;
using QuantUNet.MLNet;
using QuantUNet.Onnx;
using QuantUNet.Onnx.Torch;
using QuantUNet.Torch.Export;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using Google.Protobuf;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Bench;

/// <summary>
/// The benchmark: the float network (the trained weights with quantization off), the fake-quant
/// network (TorchSharp, eval mode) and the integer engine, each timed through <see cref="SegmentationScorer"/> as users
/// score, and ONNX Runtime on the float ONNX export and on the QDQ export score the same 8-bit synthetic slices on the
/// same number of threads; the engine's
/// masks and accumulators are compared with both the float32 fake-quant logits and its float64 twin,
/// the QDQ model's with the engine's, and the float32 graph's activation codes with the exact ones.
/// Each timing is the median of a few passes after a warm-up.
/// </summary>
internal static class BenchRun
{
    private const int TorchBatch = 8;
    private const int TimedPasses = 3;

    /// <exception cref="InvalidDataException">The model is a float baseline; the message names it.</exception>
    private static QuantUNetModel QuantizedNetwork(string path)
    {
        var (model, _) = ModelFile.Load(path);
        if (model.Quantize) return model;
        model.Dispose();
        throw new InvalidDataException($"{path}: a float baseline (quantization off) has no integer codes; give a QuantU-Net model.");
    }

    public static BenchReport Run(string? modelPath, int images, int size, int threads, string outDirectory, Action<string> log)
    {
        if (images < 1) throw new ArgumentException($"--images {images}: need at least one image.");
        DatasetOptions.CheckSize(size);
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        set_num_threads(threads);

        var (quantized, source) = modelPath is null ? (TrainQuick(log), "trained by bench") : (QuantizedNetwork(modelPath), Path.GetFileName(modelPath));
        using var _ = quantized;
        quantized.eval();
        using var floatModel = SegmentationTrainer.FloatTwin(quantized);

        var trainedAt = ImageSize.Square(size);
        var package = ModelFile.Package(quantized, trainedAt, new TrainingRecord(), problem => throw new InvalidDataException($"{source}: {problem}"));
        var floatPackage = ModelFile.Package(floatModel, trainedAt, new TrainingRecord(), _ => { });
        var exported = package.IntegerModel!;
        Directory.CreateDirectory(outDirectory);
        var integerPath = Path.Combine(outDirectory, "model" + IntegerModelFile.Extension);
        IntegerModelFile.Save(exported, integerPath);
        // The agreement figures need the raw accumulators, which the scoring layer (probabilities and masks) keeps to itself.
        var engine = new IntegerEngine(exported, new IntegerEngineOptions { Threads = threads });

        int channels = quantized.Options.InputChannels;
        var samples = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(size), Channels = channels, Seed = 11 }).Generate(images);
        var pixels = EightBitImages.From(samples);
        using var input = EightBitImages.ToTensor(pixels, images, channels, size, size, ScalarType.Float32);
        log($"{images} synthetic slices of {size}x{size}, {threads} threads, integer engine on {engine.Simd}");

        var floats = pixels.Select(p => p / 255f).ToArray();
        double Scoring(ModelPackage scored, ScoringMode mode)
        {
            using var scorer = SegmentationScorer.Create(scored, mode, size, size, threads);
            return Time(() => scorer.Masks(floats, images)).Seconds;
        }
        var floatSeconds = Scoring(floatPackage, ScoringMode.Float);
        log($"  TorchSharp float:      {images / floatSeconds,8:F1} images/s");
        var quantSeconds = Scoring(package, ScoringMode.FakeQuantized);
        log($"  TorchSharp fake-quant: {images / quantSeconds,8:F1} images/s");
        var integerSeconds = Scoring(package, ScoringMode.Integer);
        log($"  integer engine:        {images / integerSeconds,8:F1} images/s");
        var accumulators = new int[images * size * size];
        engine.PredictBatch(pixels, images, size, size, default, accumulators);
        using var quantLogits = ModelScoring.Logits(quantized, input, TorchBatch);
        var onnxFloatModel = FloatModelExport.Export(floatModel).ToByteArray();
        var (onnxFloatSeconds, _) = TimeOnnx(onnxFloatModel);
        log($"  ONNX Runtime float:    {images / onnxFloatSeconds,8:F1} images/s");
        var qdqModel = QdqExporter.Export(exported).ToByteArray();
        var (qdqSeconds, qdqLogits) = TimeOnnx(qdqModel);
        log($"  ONNX Runtime QDQ:      {images / qdqSeconds,8:F1} images/s");
        using var qdqTensor = tensor(qdqLogits);
        var qdqAgreement = IntegerAgreement.Of(accumulators, qdqTensor, exported.ScoreScale);

        (double Seconds, float[] Logits) TimeOnnx(byte[] model)
        {
            using var scorer = new OnnxScorer(model, threads);
            return Time(() => scorer.Logits(floats, images, channels, size, size, TorchBatch));
        }

        var agreement = IntegerAgreement.Of(accumulators, quantLogits, exported.ScoreScale);
        log("comparing with the float64 twin and counting float32 code flips");
        using var twin = Float64Twin.Create(quantized);
        var exact = Float64Agreement(twin, pixels, images, channels, size, accumulators, exported.ScoreScale);
        var flips = ActivationCodeFlips.Measure(quantized, twin, pixels, images, size, size);
        var bits = quantized.Bitwidths();
        return new BenchReport
        {
            ImageSize = size,
            Images = images,
            Threads = threads,
            Model = new BenchReport.ModelFacts(source, quantized.Options.BaseWidth, bits.AverageWeightBits, bits.AverageActivationBits, bits.ParameterCount),
            TorchFloat = new BenchReport.Throughput(images / floatSeconds, floatSeconds),
            FakeQuant = new BenchReport.Throughput(images / quantSeconds, quantSeconds),
            Integer = new BenchReport.IntegerFigures(images / integerSeconds, integerSeconds, engine.Simd.ToString(), floatSeconds / integerSeconds,
                agreement.MaskAgreement, agreement.MaskDifferences, agreement.MaskDifferencesAtZero, agreement.MaxAccumulatorError, agreement.PixelsBeyondHalfAnLsb,
                exact.MaskAgreement, exact.MaskDifferences, exact.MaskDifferencesAtZero, exact.MaxAccumulatorError, new FileInfo(integerPath).Length,
                new BenchReport.CodeFlips(flips.Codes, flips.Flips, flips.LargestFlip, flips.FarthestFromTie,
                    flips.FlipsByLayer.Where(p => p.Value > 0).ToDictionary(), flips.EndToEndDifferences, flips.LargestEndToEndDifference)),
            Float = new BenchReport.FloatFigures(bits.FloatSizeBytes),
            OnnxFloat = new BenchReport.OnnxFigures(images / onnxFloatSeconds, onnxFloatSeconds, onnxFloatModel.Length, null),
            OnnxQdq = new BenchReport.OnnxFigures(images / qdqSeconds, qdqSeconds, qdqModel.Length, qdqAgreement),
        };
    }

    /// <summary>The median seconds of <see cref="TimedPasses"/> passes after one untimed warm-up, and the last pass's result.</summary>
    private static (double Seconds, T Result) Time<T>(Func<T> pass) where T : notnull
    {
        (pass() as IDisposable)?.Dispose();
        var times = new List<double>();
        T result = default!;
        for (int i = 0; i < TimedPasses; i++)
        {
            if (i > 0) (result as IDisposable)?.Dispose();
            var clock = Stopwatch.StartNew();
            result = pass();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return (times[times.Count / 2], result);
    }

    private static IntegerAgreement Float64Agreement(QuantUNetModel twin, byte[] pixels, int images, int channels, int size, int[] accumulators, double step)
    {
        using var input = EightBitImages.ToTensor(pixels, images, channels, size, size, ScalarType.Float64);
        using var logits = ModelScoring.Logits(twin, input, TorchBatch);
        return IntegerAgreement.Of(accumulators, logits, step);
    }

    /// <summary>A small QuantU-Net trained in seconds, with a quantizer learning rate high enough for its bits to drop.</summary>
    private static QuantUNetModel TrainQuick(Action<string> log)
    {
        const int seed = 1;
        var slices = new SyntheticMriGenerator(new SyntheticMriGenerator.Options { Size = ImageSize.Square(32), Seed = seed }).Generate(48);
        var model = SegmentationTrainer.CreateModel(new ArchitectureOptions { BaseWidth = 8 }, seed);
        // 7 epochs of 6 steps, the first 3 with learning widths (the last half frozen): 18 steps, so the widths move at
        // 6 / 18 = 0.33 a step (TrainingOptions.BitwidthLearningRate), enough to cross their range once.
        var options = new TrainingOptions { Epochs = 7, BatchSize = 8, QuantizerLearningRate = 0.2, Seed = seed };
        var clock = Stopwatch.StartNew();
        SegmentationTrainer.Train(model, slices, null, options);
        log($"trained a quick QuantU-Net (width 8, 32x32, {options.Epochs} epochs) in {clock.Elapsed.TotalSeconds:F1} s: average {model.Bitwidths().AverageWeightBits:F2} weight bits");
        return model;
    }
}
