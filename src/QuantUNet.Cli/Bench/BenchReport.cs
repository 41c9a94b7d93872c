using System.Text.Json;
using System.Text.Json.Serialization;
using QuantUNet.Data;
using QuantUNet.Torch.Export;
using QuantUNet.Integer.Format;

namespace QuantUNet.Cli.Bench;

/// <summary>What one <c>quantunet bench</c> run measured, all on the same images and thread count; written as bench.json.</summary>
internal sealed record BenchReport
{
    public DateTime DateUtc { get; init; } = DateTime.UtcNow;
    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
    public required int ImageSize { get; init; }
    public required int Images { get; init; }
    public required int Threads { get; init; }
    public required ModelFacts Model { get; init; }
    public required Throughput TorchFloat { get; init; }
    public required Throughput FakeQuant { get; init; }
    public required IntegerFigures Integer { get; init; }
    public required FloatFigures Float { get; init; }
    public required OnnxFigures OnnxFloat { get; init; }
    public required OnnxFigures OnnxQdq { get; init; }

    /// <summary>float.modelBytes over integer.modelBytes.</summary>
    public double SizeRatio => (double)Float.ModelBytes / Integer.ModelBytes;

    public sealed record ModelFacts(string Source, int BaseWidth, double AverageWeightBits, double AverageActivationBits, long Parameters);

    public sealed record Throughput(double ImagesPerSecond, double Seconds);

    /// <param name="MaskAgreement">Fraction of pixels where the integer mask equals the float32 fake-quant mask.</param>
    /// <param name="MaskDifferencesAtZero">Differing pixels whose accumulator is exactly 0: the exact logit is 0 and the float sign is noise.</param>
    /// <param name="MaxAccumulatorError">Largest |accumulator - fake-quant logit / step|, in LSBs.</param>
    /// <param name="PixelsBeyondHalfAnLsb">Pixels whose fake-quant logit / step does not round to the accumulator.</param>
    /// <param name="Float64MaskAgreement">The same against the float64 twin of the fake-quant model.</param>
    public sealed record IntegerFigures(
        double ImagesPerSecond, double Seconds, string Simd, double SpeedupOverTorchFloat,
        double MaskAgreement, long MaskDifferences, long MaskDifferencesAtZero, double MaxAccumulatorError, long PixelsBeyondHalfAnLsb,
        double Float64MaskAgreement, long Float64MaskDifferences, long Float64MaskDifferencesAtZero, double Float64MaxAccumulatorError, long ModelBytes,
        CodeFlips Float32Codes);

    /// <summary>The float32 fake-quant graph's activation codes against the exact ones (see ActivationCodeFlips).</summary>
    /// <param name="Flips">Codes one float32 layer step gets wrong from exact inputs: values within FarthestFromTie of a rounding tie.</param>
    /// <param name="EndToEndDifferences">Codes that differ when the float32 graph runs on its own (flips and what they pass on).</param>
    public sealed record CodeFlips(long Codes, long Flips, int LargestFlip, double FarthestFromTie, IReadOnlyDictionary<string, long> FlipsByLayer,
        long EndToEndDifferences, int LargestEndToEndDifference);

    /// <param name="ModelBytes">Float32 weights and biases: 4 bytes a parameter.</param>
    public sealed record FloatFigures(long ModelBytes);

    /// <summary>ONNX Runtime on an ONNX export.</summary>
    /// <param name="ModelBytes">The size of the .onnx file.</param>
    /// <param name="AgainstInteger">For the QDQ export: its logits against the integer engine's accumulators (null for the float export).</param>
    public sealed record OnnxFigures(double ImagesPerSecond, double Seconds, long ModelBytes, IntegerAgreement? AgainstInteger);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Write(string directory)
    {
        var path = Path.Combine(directory, "bench.json");
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        return path;
    }
}
