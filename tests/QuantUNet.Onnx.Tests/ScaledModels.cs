using QuantUNet.Integer;

namespace QuantUNet.Onnx.Tests;

/// <summary>
/// A seeded one-level U-Net built as an exporter would: random float weights quantized per output
/// channel, with per-channel magnitudes spread over two decades (so a per-channel scale applied along
/// the wrong axis changes the result), activation steps from fixed thresholds, and multipliers
/// M = s_in * s_w / s_target. enc (3x3) -> pooled -> mid (3x3) -> up (2x2 transposed, as many inputs as
/// outputs) -> concatenated after enc's skip -> dec (3x3) -> final (1x1).
/// </summary>
internal static class ScaledModels
{
    private const int Channels = 4;

    public static IntegerModel MiniUNet(int seed, PixelNormalization normalization = PixelNormalization.UnitRange, int weightBits = 6, int activationBits = 6)
    {
        var random = new Random(seed);
        var specs = new (string Name, LayerKind Kind, int In, int Out, double Threshold)[]
        {
            ("enc", LayerKind.Conv3x3, 1, Channels, 1.0),
            ("mid", LayerKind.Conv3x3, Channels, Channels, 2.0),
            ("up", LayerKind.ConvTranspose2x2, Channels, Channels, 2.0),
            ("dec", LayerKind.Conv3x3, 2 * Channels, Channels, 2.0),
            ("final", LayerKind.Conv1x1, Channels, 1, 2.0),
        };
        var wiring = new (int Target, int Offset, bool Pooled)[][] { [(1, 0, true), (3, 0, false)], [(2, 0, false)], [(3, Channels, false)], [(4, 0, false)], [] };
        int maxActivation = (1 << activationBits) - 1, maxWeight = (1 << (weightBits - 1)) - 1;
        var inputSteps = specs.Select(s => s.Threshold / maxActivation).ToArray();
        var layers = specs.Select((spec, index) =>
        {
            int k = spec.Kind.KernelSize(), fanIn = spec.In * k * k;
            var magnitudes = Enumerable.Range(0, spec.Out).Select(c => Math.Sqrt(2.0 / fanIn) * Math.Pow(10, c % 3 - 1.0)).ToArray();
            var weightSteps = magnitudes.Select(m => 2 * m / maxWeight).ToArray();
            var weights = new sbyte[spec.Out * fanIn];
            for (int i = 0; i < weights.Length; i++)
                weights[i] = (sbyte)Math.Clamp(Math.Round(Normal(random) * magnitudes[i / fanIn] / weightSteps[i / fanIn]), -maxWeight, maxWeight);
            return new IntegerLayer
            {
                Name = spec.Name, Kind = spec.Kind, InputChannels = spec.In, OutputChannels = spec.Out,
                WeightBits = weightBits, ActivationBits = activationBits,
                InputScale = inputSteps[index], WeightScales = weightSteps, Weights = weights,
                Biases = weightSteps.Select(s => (int)Math.Round(0.1 * Normal(random) / (inputSteps[index] * s))).ToArray(),
                Outputs = wiring[index].Select(w => new LayerOutput(w.Target, w.Offset, w.Pooled,
                    weightSteps.Select(s => FixedPointMultiplier.FromScales(inputSteps[index], s, inputSteps[w.Target])).ToArray())).ToArray(),
            };
        }).ToList();
        return new IntegerModel(new IntegerModelHeader(1, normalization), layers, new IntegerModelMetadata { Seed = seed, Source = "scaled test model" });
    }

    /// <summary>Planar images of smooth blobs and noise, pixels in [0, 1].</summary>
    public static float[] Images(int seed, int count, int height, int width)
    {
        var random = new Random(seed);
        var pixels = new float[count * height * width];
        for (int n = 0; n < count; n++)
        {
            double cx = random.Next(width), cy = random.Next(height), r = 2 + random.Next(height / 3);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    pixels[(n * height + y) * width + x] = (float)Math.Clamp(
                        ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r ? 0.7 : 0.3) + 0.2 * (random.NextDouble() - 0.5), 0, 1);
        }
        return pixels;
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
