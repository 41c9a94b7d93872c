namespace QuantUNet.Integer.Tests;

[TestClass]
public sealed class EngineTests
{
    private const int Height = 6, Width = 10; // 10 is not a multiple of the 4-pixel group: the tail is exercised

    private static readonly SimdPath[] Paths =
        new[] { SimdPath.Scalar, SimdPath.Avx2, SimdPath.Avx512 }.Where(IntegerEngine.IsSupported).ToArray();

    [TestMethod]
    [DataRow(2)] [DataRow(3)] [DataRow(4)] [DataRow(5)] [DataRow(6)] [DataRow(7)] [DataRow(8)]
    public void ConvolutionsUpsamplerPoolingAndConcatenationEqualThePlainReferenceAtEveryWidth(int weightBits)
    {
        for (int activationBits = 1; activationBits <= 8; activationBits++)
        {
            var model = RandomModels.MiniUNet(seed: 10 * weightBits + activationBits, weightBits, activationBits);
            var pixels = RandomModels.Pixels(activationBits, 3 * Height * Width);
            var expected = ReferenceEngine.Run(model, pixels, Height, Width);
            foreach (var path in Paths)
            {
                var actual = new IntegerEngine(model, new IntegerEngineOptions { Simd = path }).LayerAccumulators(pixels, Height, Width);
                for (int layer = 0; layer < expected.Length; layer++)
                    CollectionAssert.AreEqual(expected[layer], actual[layer], $"{model.Layers[layer].Name}: {weightBits}-bit weights, {activationBits}-bit inputs, {path}");
            }
        }
    }

    [TestMethod]
    public void MixedWidthsPerLayerGiveTheReferenceMaskScoresAndAccumulators()
    {
        var random = new Random(3);
        var weightBits = Enumerable.Range(0, 5).Select(_ => random.Next(2, 9)).ToArray();
        var activationBits = Enumerable.Range(0, 5).Select(_ => random.Next(2, 9)).ToArray();
        var model = RandomModels.MiniUNet(4, i => weightBits[i], i => activationBits[i], imageChannels: 1);
        var pixels = RandomModels.Pixels(5, 16 * 20);
        var logits = ReferenceEngine.Run(model, pixels, 16, 20)[^1];
        foreach (var path in Paths)
        {
            var engine = new IntegerEngine(model, new IntegerEngineOptions { Simd = path });
            var (mask, accumulators, probabilities) = (new byte[320], new int[320], new float[320]);
            engine.Predict(pixels, 16, 20, mask, accumulators, probabilities);
            CollectionAssert.AreEqual(logits, accumulators, path.ToString());
            CollectionAssert.AreEqual(logits.Select(a => a > 0 ? (byte)1 : (byte)0).ToArray(), mask);
            CollectionAssert.AreEqual(logits.Select(a => (float)(1 / (1 + Math.Exp(-a * model.ScoreScale)))).ToArray(), probabilities);
        }
        Assert.IsTrue(logits.Any(a => a > 0) && logits.Any(a => a <= 0), "the test model should predict both classes");
    }

    [TestMethod]
    [DataRow(2)] [DataRow(5)] [DataRow(8)]
    public void PerImageMinMaxStretchesEachChannelAndBreaksTiesToEven(int imageBits)
    {
        var model = RandomModels.MiniUNet(6, 4, imageBits, normalization: PixelNormalization.PerImageMinMax);
        // Channel 0 spans 37..201 (an even range: exact ties occur), channel 1 is constant, channel 2 is full.
        var pixels = RandomModels.Pixels(7, 3 * Height * Width);
        for (int i = 0; i < Height * Width; i++)
        {
            pixels[i] = (byte)(37 + pixels[i] % 165);
            pixels[Height * Width + i] = 90;
        }
        pixels[0] = 37;
        pixels[1] = 201;
        pixels[2] = 37 + 82; // (82 / 164) * N is k + 1/2 for odd N
        var expected = ReferenceEngine.Run(model, pixels, Height, Width);
        foreach (var path in Paths)
            CollectionAssert.AreEqual(expected[0], new IntegerEngine(model, new IntegerEngineOptions { Simd = path }).LayerAccumulators(pixels, Height, Width)[0]);
    }

    [TestMethod]
    public void FloatPixelsScoreAsTheirEightBitValues()
    {
        for (int bits = 1; bits <= 8; bits++)
        {
            var engine = new IntegerEngine(RandomModels.MiniUNet(bits, 3, bits));
            var pixels = RandomModels.Pixels(bits, 3 * Height * Width);
            var (fromBytes, fromFloats) = (new int[Height * Width], new int[Height * Width]);
            engine.Predict(pixels, Height, Width, default, fromBytes);
            engine.Predict(pixels.Select(p => p / 255f).ToArray(), Height, Width, default, fromFloats);
            CollectionAssert.AreEqual(fromBytes, fromFloats, $"{bits}-bit image codes");
        }
    }

    [TestMethod]
    public void BatchAndStreamEqualOneImageAtATime()
    {
        var model = RandomModels.MiniUNet(8, 4, 4);
        var engine = new IntegerEngine(model, new IntegerEngineOptions { Threads = 3 });
        const int count = 11, plane = Height * Width;
        var pixels = RandomModels.Pixels(9, count * 3 * plane);
        var (masks, accumulators) = (new byte[count * plane], new int[count * plane]);
        engine.PredictBatch(pixels, count, Height, Width, masks, accumulators);
        var images = Enumerable.Range(0, count).Select(i => new ReadOnlyMemory<byte>(pixels, i * 3 * plane, 3 * plane)).ToList();
        var streamed = engine.PredictStream(images, Height, Width).ToList();
        for (int i = 0; i < count; i++)
        {
            var (one, probabilities) = (new int[plane], new float[plane]);
            engine.Predict(images[i].Span, Height, Width, default, one, probabilities);
            CollectionAssert.AreEqual(one, accumulators.AsSpan(i * plane, plane).ToArray(), $"batch image {i}");
            Assert.AreEqual(i, streamed[i].Index);
            CollectionAssert.AreEqual(one, streamed[i].Accumulators, $"streamed image {i}");
            CollectionAssert.AreEqual(masks.AsSpan(i * plane, plane).ToArray(), streamed[i].Mask);
            CollectionAssert.AreEqual(probabilities, streamed[i].Probabilities());
        }
    }

    [TestMethod]
    public void ScoringAllocatesNothingOnceWarm()
    {
        var engine = new IntegerEngine(RandomModels.MiniUNet(10, 5, 6));
        var pixels = RandomModels.Pixels(11, 3 * 32 * 32);
        var (mask, accumulators, probabilities) = (new byte[1024], new int[1024], new float[1024]);
        engine.Predict(pixels, 32, 32, mask, accumulators, probabilities);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) engine.Predict(pixels, 32, 32, mask, accumulators, probabilities);
        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void RefusesSizesAndBuffersThatDoNotFit()
    {
        var engine = new IntegerEngine(RandomModels.MiniUNet(12, 4, 4));
        var size = Assert.ThrowsExactly<ArgumentException>(() => engine.Predict(new byte[0], 0, 4, new byte[0]));
        StringAssert.Contains(size.Message, "positive");
        var output = Assert.ThrowsExactly<ArgumentException>(() => engine.Predict(new byte[3 * 4 * 4], 4, 4, new byte[15]));
        StringAssert.Contains(output.Message, "mask");
        var pixels = Assert.ThrowsExactly<ArgumentException>(() => engine.Predict(new float[3 * 4 * 4 - 1], 4, 4, new byte[16]));
        StringAssert.Contains(pixels.Message, "47 pixel values");
        var nan = Enumerable.Repeat(float.NaN, 48).ToArray();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => engine.Predict(nan, 4, 4, new byte[16])).Message, "finite");
    }
}
