namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class ConfusionCountsTests
{
    // TP at (0,0) (0,1) (1,0); FP at (0,2); FN at (1,1) (2,1); the other 10 pixels TN.
    private static readonly byte[] Predicted = Masks.Parse("1110", "1000", "0000", "0000");
    private static readonly byte[] Truth = Masks.Parse("1100", "1100", "0100", "0000");

    [TestMethod]
    public void HandComputedCase()
    {
        var c = ConfusionCounts.From(Predicted, Truth);

        Assert.AreEqual(new ConfusionCounts(3, 1, 10, 2), c);
        Assert.AreEqual(16, c.Total);
        Assert.AreEqual(6.0 / 9, c.Dice, 1e-12);
        Assert.AreEqual(3.0 / 6, c.IoU, 1e-12);
        Assert.AreEqual(13.0 / 16, c.PixelAccuracy, 1e-12);
        Assert.AreEqual(3.0 / 4, c.Precision, 1e-12);
        Assert.AreEqual(3.0 / 5, c.Recall, 1e-12);
        Assert.AreEqual(10.0 / 11, c.Specificity, 1e-12);
    }

    [TestMethod]
    public void BoolMasksCountLikeByteMasks()
    {
        bool[] predicted = [.. Predicted.Select(b => b != 0)];
        bool[] truth = [.. Truth.Select(b => b != 0)];

        Assert.AreEqual(ConfusionCounts.From(Predicted, Truth), ConfusionCounts.From(predicted, truth));
    }

    [TestMethod]
    public void AnyNonZeroByteIsForeground()
    {
        var c = ConfusionCounts.From(new byte[] { 255, 0, 7 }, new byte[] { 1, 1, 0 });

        Assert.AreEqual(new ConfusionCounts(1, 1, 0, 1), c);
    }

    [TestMethod]
    public void CountsAddComponentWise()
    {
        var sum = new ConfusionCounts(1, 2, 3, 4) + new ConfusionCounts(10, 20, 30, 40);

        Assert.AreEqual(new ConfusionCounts(11, 22, 33, 44), sum);
    }

    [TestMethod]
    public void BothEmptyScoresPerfectly()
    {
        var c = ConfusionCounts.From(new byte[4], new byte[4]);

        Assert.AreEqual(1.0, c.Dice);
        Assert.AreEqual(1.0, c.IoU);
        Assert.AreEqual(1.0, c.Precision);
        Assert.AreEqual(1.0, c.Recall);
        Assert.AreEqual(1.0, c.Specificity);
        Assert.AreEqual(1.0, c.PixelAccuracy);
    }

    [TestMethod]
    public void EmptyPredictionOfNonEmptyTruthScoresZero()
    {
        var c = ConfusionCounts.From(new byte[4], new byte[] { 1, 0, 0, 0 });

        Assert.AreEqual(0.0, c.Dice);
        Assert.AreEqual(0.0, c.IoU);
        Assert.AreEqual(0.0, c.Precision); // nothing predicted, but the truth is not empty
        Assert.AreEqual(0.0, c.Recall);
        Assert.AreEqual(1.0, c.Specificity);
    }

    [TestMethod]
    public void PredictionOnEmptyTruthScoresZero()
    {
        var c = ConfusionCounts.From(new byte[] { 1, 0, 0, 0 }, new byte[4]);

        Assert.AreEqual(0.0, c.Dice);
        Assert.AreEqual(0.0, c.IoU);
        Assert.AreEqual(0.0, c.Precision);
        Assert.AreEqual(0.0, c.Recall); // no true positives exist, yet something was predicted
        Assert.AreEqual(3.0 / 4, c.Specificity, 1e-12);
    }

    [TestMethod]
    public void SpecificityIsOneWhenTruthHasNoBackground()
    {
        var c = ConfusionCounts.From(new byte[] { 1, 0 }, new byte[] { 1, 1 });

        Assert.AreEqual(1.0, c.Specificity);
        Assert.AreEqual(0.5, c.Recall);
    }

    [TestMethod]
    public void NoPixelsAtAllFollowTheEmptyRules()
    {
        var c = ConfusionCounts.From(ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty);

        Assert.AreEqual(1.0, c.Dice);
        Assert.AreEqual(1.0, c.PixelAccuracy);
    }

    [TestMethod]
    public void DifferentLengthsAreRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => ConfusionCounts.From(new byte[4], new byte[5]));

        Assert.Contains("same size", error.Message);
    }
}
