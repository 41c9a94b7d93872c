namespace QuantUNet.Integer.Tests;

/// <summary>One loaded engine scored from many threads at once gives exactly what it gives one image at a time.</summary>
[TestClass]
public sealed class ConcurrentScoringTests
{
    private const int Images = 96;

    [TestMethod]
    public void ParallelCallsOnOneEngineEqualSequentialScoring()
    {
        var engine = new IntegerEngine(RandomModels.MiniUNet(21, i => 3 + i % 4, i => 8 - i, imageChannels: 1));
        // Two sizes interleaved, so that threads keep trading workspaces of different sizes through the pool.
        var sizes = Enumerable.Range(0, Images).Select(i => i % 3 == 0 ? (Height: 8, Width: 12) : (Height: 16, Width: 10)).ToArray();
        var pixels = sizes.Select((s, i) => RandomModels.Pixels(100 + i, s.Height * s.Width)).ToArray();
        var expected = pixels.Select((p, i) => Accumulators(engine, p, sizes[i])).ToArray();

        var actual = new int[Images][];
        Parallel.For(0, 4 * Images, new ParallelOptions { MaxDegreeOfParallelism = 8 }, call =>
        {
            int image = call % Images;
            actual[image] = Accumulators(engine, pixels[image], sizes[image]);
            CollectionAssert.AreEqual(expected[image], actual[image], $"image {image}, call {call}");
        });
        Assert.HasCount(Images, expected.Select(a => string.Join(",", a)).Distinct(), "every image scores differently, so a mix-up between threads would show");
    }

    [TestMethod]
    public void ConcurrentBatchesOnOneEngineEqualOneImageAtATime()
    {
        var engine = new IntegerEngine(RandomModels.MiniUNet(22, 4, 5), new IntegerEngineOptions { Threads = 3 });
        const int Height = 8, Width = 8, PerBatch = 12;
        var pixels = Enumerable.Range(0, Images).Select(i => RandomModels.Pixels(200 + i, 3 * Height * Width).Select(p => p / 255f).ToArray()).ToArray();
        var expected = pixels.Select(p =>
        {
            var (mask, probabilities) = (new byte[Height * Width], new float[Height * Width]);
            engine.Predict(p, Height, Width, mask, probabilities: probabilities);
            return (Mask: mask, Probabilities: probabilities);
        }).ToArray();

        Parallel.For(0, Images / PerBatch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, batch =>
        {
            var images = pixels.Skip(batch * PerBatch).Take(PerBatch).SelectMany(p => p).ToArray();
            var (masks, probabilities) = (new byte[PerBatch * Height * Width], new float[PerBatch * Height * Width]);
            engine.PredictBatch(images, PerBatch, Height, Width, masks, probabilities: probabilities);
            for (int i = 0; i < PerBatch; i++)
            {
                var (mask, probability) = expected[batch * PerBatch + i];
                CollectionAssert.AreEqual(mask, masks.AsSpan(i * Height * Width, Height * Width).ToArray(), $"batch {batch}, image {i}");
                CollectionAssert.AreEqual(probability, probabilities.AsSpan(i * Height * Width, Height * Width).ToArray(), $"batch {batch}, image {i}");
            }
        });
    }

    private static int[] Accumulators(IntegerEngine engine, byte[] pixels, (int Height, int Width) size)
    {
        var accumulators = new int[size.Height * size.Width];
        engine.Predict(pixels, size.Height, size.Width, default, accumulators);
        return accumulators;
    }
}
