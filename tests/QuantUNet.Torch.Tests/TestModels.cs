using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;

namespace QuantUNet.Torch.Tests;

/// <summary>Small models and data that keep the TorchSharp tests fast.</summary>
internal static class TestModels
{
    public static ArchitectureOptions Tiny(bool quantize = true, int channels = 1) =>
        new() { InputChannels = channels, BaseWidth = 4, Quantize = quantize };

    public static QuantUNetModel Create(bool quantize = true, int seed = 7) =>
        SegmentationTrainer.CreateModel(Tiny(quantize), seed);

    /// <summary>Blobs on a noisy background: enough structure for a few steps of learning.</summary>
    public static List<SegmentationSample> Blobs(int count, int size, int seed, bool empty = false)
    {
        var random = new Random(seed);
        var samples = new List<SegmentationSample>();
        for (int i = 0; i < count; i++)
        {
            var image = new float[size * size];
            var mask = new byte[size * size];
            double cx = random.Next(size), cy = random.Next(size), r = 2 + random.Next(size / 4);
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                bool inside = !empty && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                mask[y * size + x] = (byte)(inside ? 1 : 0);
                image[y * size + x] = (float)Math.Clamp((inside ? 0.7 : 0.3) + 0.1 * (random.NextDouble() - 0.5), 0, 1);
            }
            samples.Add(new SegmentationSample($"blob{i}", $"g{i % 4}", 1, size, size, image, mask));
        }
        return samples;
    }
}
