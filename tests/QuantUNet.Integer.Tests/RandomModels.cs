namespace QuantUNet.Integer.Tests;

/// <summary>Seeded random integer models with every operation of a U-Net, for comparing the engine with a reference.</summary>
internal static class RandomModels
{
    /// <summary>
    /// A one-level U-Net: enc (3x3) -> pooled -> mid (3x3) -> up (2x2 transposed) -> concat with enc's skip ->
    /// dec (3x3) -> final (1x1). Channel counts are odd and one exceeds 16 so that vector blocks are partly
    /// filled; weights span the whole range of their width (so 8-bit x 8-bit layers take the split path).
    /// </summary>
    public static IntegerModel MiniUNet(int seed, int weightBits, int activationBits, int imageChannels = 3,
        PixelNormalization normalization = PixelNormalization.UnitRange) =>
        MiniUNet(seed, _ => weightBits, _ => activationBits, imageChannels, normalization);

    /// <param name="weightBits">Each layer's weight width, by layer index.</param>
    /// <param name="activationBits">Each layer's input width, by layer index.</param>
    public static IntegerModel MiniUNet(int seed, Func<int, int> weightBits, Func<int, int> activationBits, int imageChannels = 3,
        PixelNormalization normalization = PixelNormalization.UnitRange)
    {
        var random = new Random(seed);
        int encoder = 5, middle = 21, up = 7, decoder = 6;
        var specs = new (string Name, LayerKind Kind, int In, int Out)[]
        {
            ("enc", LayerKind.Conv3x3, imageChannels, encoder),
            ("mid", LayerKind.Conv3x3, encoder, middle),
            ("up", LayerKind.ConvTranspose2x2, middle, up),
            ("dec", LayerKind.Conv3x3, encoder + up, decoder),
            ("final", LayerKind.Conv1x1, decoder, 1),
        };
        var wiring = new (int Target, int Offset, bool Pooled)[][]
        {
            [(1, 0, true), (3, 0, false)],
            [(2, 0, false)],
            [(3, encoder, false)],
            [(4, 0, false)],
            [],
        };
        var layers = specs.Select((spec, i) => Layer(random, spec.Name, spec.Kind, spec.In, spec.Out, weightBits(i), activationBits(i),
            wiring[i].Select(w => (w.Target, w.Offset, w.Pooled, activationBits(w.Target))).ToArray())).ToList();
        return new IntegerModel(new IntegerModelHeader(imageChannels, normalization), layers,
            new IntegerModelMetadata { Seed = seed, Source = "random test model", Metrics = new Dictionary<string, double> { ["dice"] = 0.5 } });
    }

    private static IntegerLayer Layer(Random random, string name, LayerKind kind, int inputs, int outputs, int weightBits, int activationBits,
        (int Target, int Offset, bool Pooled, int TargetBits)[] targets)
    {
        int k = kind.KernelSize(), maxWeight = (1 << (weightBits - 1)) - 1, maxActivation = (1 << activationBits) - 1;
        var weights = new sbyte[outputs * inputs * k * k];
        for (int i = 0; i < weights.Length; i++) weights[i] = (sbyte)random.Next(-maxWeight, maxWeight + 1);
        for (int o = 0; o < outputs; o++) weights[o * inputs * k * k] = (sbyte)maxWeight; // the range's extreme is always there
        // Inputs are about half their maximum and weights about zero-mean: accumulators spread like sqrt(fan-in).
        double spread = Math.Max(1, maxActivation / 2.0 * maxWeight / 2.0 * Math.Sqrt(inputs * (kind == LayerKind.ConvTranspose2x2 ? 1 : k * k)));
        return new IntegerLayer
        {
            Name = name, Kind = kind, InputChannels = inputs, OutputChannels = outputs,
            WeightBits = weightBits, ActivationBits = activationBits,
            InputScale = 0.01 + random.NextDouble(), WeightScales = Enumerable.Range(0, outputs).Select(_ => 0.001 + random.NextDouble()).ToArray(),
            Weights = weights,
            Biases = Enumerable.Range(0, outputs).Select(_ => (int)(spread * (random.NextDouble() - 0.3))).ToArray(),
            Outputs = targets.Select(t => new LayerOutput(t.Target, t.Offset, t.Pooled,
                Enumerable.Range(0, outputs).Select(_ => FixedPointMultiplier.FromScales(
                    (1 << t.TargetBits) / spread * (0.3 + 1.4 * random.NextDouble()), 1 + random.NextDouble() * 1e-3, 1)).ToArray())).ToArray(),
        };
    }

    public static byte[] Pixels(int seed, int count)
    {
        var pixels = new byte[count];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }
}
