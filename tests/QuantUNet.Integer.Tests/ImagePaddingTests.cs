namespace QuantUNet.Integer.Tests;

/// <summary>The padding rule of images whose sides are not multiples of the size multiple, and the engine that follows it.</summary>
[TestClass]
public sealed class ImagePaddingTests
{
    [TestMethod]
    public void PadsBottomAndRightWithTheValueNormalisationMapsToZeroAndCropUndoesIt()
    {
        var padding = ImagePadding.For(3, 5, 4);
        float[] planes = [.. Enumerable.Range(0, 15).Select(i => 0.5f + i / 100f), .. Enumerable.Range(0, 15).Select(i => 0.2f + i / 100f)];

        var zero = new float[2 * 4 * 8];
        var minimum = new float[2 * 4 * 8];
        padding.Pad<float>(planes, zero, PixelNormalization.UnitRange);
        padding.Pad<float>(planes, minimum, PixelNormalization.PerImageMinMax);
        var cropped = new float[planes.Length];
        padding.Crop<float>(minimum, cropped);

        Assert.AreEqual((4, 8, true), (padding.PaddedHeight, padding.PaddedWidth, padding.IsNeeded));
        Assert.IsFalse(ImagePadding.For(16, 32, 16).IsNeeded);
        Assert.AreEqual(planes[5], zero[8], "row 1 of the image starts row 1 of the padded plane");
        Assert.AreEqual(0f, zero[5], "right of row 0");
        Assert.AreEqual(0f, zero[32 + 3 * 8], "bottom row of the second plane");
        Assert.AreEqual(0.5f, minimum[5], "the first plane's own minimum");
        Assert.AreEqual(0.2f, minimum[32 + 3 * 8], "the second plane's own minimum");
        CollectionAssert.AreEqual(planes, cropped);
    }

    [TestMethod]
    [DataRow(PixelNormalization.UnitRange)]
    [DataRow(PixelNormalization.PerImageMinMax)]
    public void EngineScoresAnySizeAsTheCropOfThePaddedImage(PixelNormalization normalization)
    {
        var engine = new IntegerEngine(RandomModels.MiniUNet(seed: 21, weightBits: 5, activationBits: 6, normalization: normalization));
        const int height = 5, width = 7;
        var padding = ImagePadding.For(height, width, engine.SizeMultiple);
        var pixels = RandomModels.Pixels(8, 3 * height * width);
        var floats = pixels.Select(p => p / 255f).ToArray();
        var padded = new byte[3 * padding.PaddedPixels];
        var paddedFloats = new float[3 * padding.PaddedPixels];
        padding.Pad<byte>(pixels, padded, normalization);
        padding.Pad<float>(floats, paddedFloats, normalization);

        var accumulators = new int[height * width];
        var floatAccumulators = new int[height * width];
        var paddedAccumulators = new int[padding.PaddedPixels];
        var paddedFloatAccumulators = new int[padding.PaddedPixels];
        var mask = new byte[height * width];
        engine.Predict(pixels, height, width, mask, accumulators);
        engine.Predict(floats, height, width, default, floatAccumulators);
        engine.Predict(padded, padding.PaddedHeight, padding.PaddedWidth, default, paddedAccumulators);
        engine.Predict(paddedFloats, padding.PaddedHeight, padding.PaddedWidth, default, paddedFloatAccumulators);
        var (expected, floatExpected) = (new int[height * width], new int[height * width]);
        padding.Crop<int>(paddedAccumulators, expected);
        padding.Crop<int>(paddedFloatAccumulators, floatExpected);

        Assert.AreEqual((6, 8), (padding.PaddedHeight, padding.PaddedWidth));
        CollectionAssert.AreEqual(expected, accumulators, "8-bit pixels");
        CollectionAssert.AreEqual(floatExpected, floatAccumulators, "float pixels");
        CollectionAssert.AreEqual(expected.Select(a => a > 0 ? (byte)1 : (byte)0).ToArray(), mask);
    }
}
