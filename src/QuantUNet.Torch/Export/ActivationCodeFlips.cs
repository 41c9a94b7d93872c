using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// Where the float32 fake-quant graph's activation codes differ from the exact ones, those of its
/// <see cref="Float64Twin"/> (which the integer engine reproduces bit for bit), at every layer's input.
/// A flip is made by one layer step: given exact codes, float32 rounding of the step (dequantising, the
/// convolution, requantising) carries a value lying within about 1e-4 of a rounding tie (code + 1/2)
/// across it, and the code comes out one off (<see cref="LayerReplay.OneStepInputs"/>). The flipped code then travels on, so end to end more
/// codes differ, some by more than one.
/// </summary>
/// <param name="Codes">Activation codes compared (every layer's input, every image).</param>
/// <param name="Flips">Codes one float32 layer step gets wrong from exact codes.</param>
/// <param name="LargestFlip">The largest such error, in codes.</param>
/// <param name="FarthestFromTie">Over the flips, the largest distance of the exact value x / s from k + 1/2, in steps.</param>
/// <param name="FlipsByLayer">Flips at each layer's input, by layer name.</param>
/// <param name="EndToEndDifferences">Codes that differ when the float32 model runs on its own.</param>
/// <param name="LargestEndToEndDifference">The largest of those differences, in codes.</param>
public sealed record ActivationCodeFlips(long Codes, long Flips, int LargestFlip, double FarthestFromTie,
    IReadOnlyDictionary<string, long> FlipsByLayer, long EndToEndDifferences, int LargestEndToEndDifference)
{
    /// <param name="pixels">8-bit images, planar, back to back.</param>
    /// <summary>Runs <paramref name="model"/> and its float64 twin on the images and compares their activation codes at every layer's input.</summary>
    /// <param name="model">The float32 QuantU-Net, quantization on.</param>
    /// <param name="twin">Its <see cref="Float64Twin"/>.</param>
    /// <param name="count">Number of images in <paramref name="pixels"/>.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="batchSize">Images run at once; default 2.</param>
    public static ActivationCodeFlips Measure(QuantUNetModel model, QuantUNetModel twin, byte[] pixels, int count, int height, int width, int batchSize = 2)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var total = new ActivationCodeFlips(0, 0, 0, 0, model.Layers.ToDictionary(l => l.GetName(), _ => 0L), 0, 0);
            int image = model.Options.InputChannels * height * width;
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                total = total.Add(MeasureBatch(model, twin, pixels.AsSpan(start * image, n * image).ToArray(), n, height, width));
            }
            return total;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private static ActivationCodeFlips MeasureBatch(QuantUNetModel model, QuantUNetModel twin, byte[] pixels, int count, int height, int width)
    {
        using var scope = NewDisposeScope();
        int channels = model.Options.InputChannels;
        var (exact, _) = LayerReplay.Run(twin, EightBitImages.ToTensor(pixels, count, channels, height, width, ScalarType.Float64));
        var (free, _) = LayerReplay.Run(model, EightBitImages.ToTensor(pixels, count, channels, height, width, ScalarType.Float32));
        var oneStep = LayerReplay.OneStepInputs(model, twin, exact);
        long codes = 0, flips = 0, endToEnd = 0;
        int largestFlip = 0, largestEndToEnd = 0;
        double farthest = 0;
        var byLayer = new Dictionary<string, long>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var quantizer = model.Layers[i].InputQuantizer;
            var exactCodes = twin.Layers[i].InputQuantizer.Integers(exact[i]);
            var (stepFlips, stepLargest, differs) = Compare(quantizer.Integers(oneStep[i]), exactCodes);
            var (freeDifferences, freeLargest, _) = Compare(quantizer.Integers(free[i]), exactCodes);
            codes += exactCodes.numel();
            flips += stepFlips;
            endToEnd += freeDifferences;
            largestFlip = Math.Max(largestFlip, stepLargest);
            largestEndToEnd = Math.Max(largestEndToEnd, freeLargest);
            byLayer[model.Layers[i].GetName()] = stepFlips;
            if (stepFlips == 0) continue;
            var quotient = exact[i] / Float64Twin.InputStep(twin.Layers[i].InputQuantizer, ScalarType.Float64);
            farthest = Math.Max(farthest, quotient.Minus(quotient.floor()).Minus(0.5).abs().masked_select(differs).max().item<double>());
        }
        return new ActivationCodeFlips(codes, flips, largestFlip, farthest, byLayer, endToEnd, largestEndToEnd);
    }

    /// <summary>How many codes differ, by how much at most, and where.</summary>
    private static (long Count, int Largest, Tensor Differs) Compare(Tensor codes, Tensor exact)
    {
        var difference = codes.to_type(ScalarType.Float64).Minus(exact).abs();
        var differs = difference.Above(0);
        return (differs.sum().item<long>(), (int)difference.max().item<double>(), differs);
    }

    /// <summary>One line of the figures, with the layers where codes flipped, for logs.</summary>
    public override string ToString() =>
        $"{Flips} of {Codes} codes flipped by one float32 step (largest {LargestFlip}, at most {FarthestFromTie:E2} of a step from a tie" +
        $"{string.Concat(FlipsByLayer.Where(p => p.Value > 0).Select(p => $", {p.Value} at {p.Key}"))}); {EndToEndDifferences} differ end to end (largest {LargestEndToEndDifference})";

    private ActivationCodeFlips Add(ActivationCodeFlips other) => new(
        Codes + other.Codes, Flips + other.Flips, Math.Max(LargestFlip, other.LargestFlip), Math.Max(FarthestFromTie, other.FarthestFromTie),
        FlipsByLayer.ToDictionary(p => p.Key, p => p.Value + other.FlipsByLayer[p.Key]),
        EndToEndDifferences + other.EndToEndDifferences, Math.Max(LargestEndToEndDifference, other.LargestEndToEndDifference));
}
