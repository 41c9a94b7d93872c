namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class SegmentationEvaluatorTests
{
    private static readonly byte[] Full = [1, 1, 1, 1];
    private static readonly byte[] Empty = [0, 0, 0, 0];

    [TestMethod]
    public void PooledAndMeanDiceDiffer()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Full, Full, 2, 2, name: "big hit");           // TP 4: Dice 1
        evaluator.Add(Empty, [1, 0, 0, 0], 2, 2, name: "small miss"); // FN 1, TN 3: Dice 0

        var scores = evaluator.GetScores();

        Assert.AreEqual(new ConfusionCounts(4, 0, 3, 1), scores.Counts);
        Assert.AreEqual(8.0 / 9, scores.Dice, 1e-12);   // 2 x 4 / (2 x 4 + 1): the big lesion dominates
        Assert.AreEqual(0.5, scores.MeanDice, 1e-12);   // (1 + 0) / 2: each image weighs the same
        Assert.AreEqual(4.0 / 5, scores.IoU, 1e-12);
        Assert.AreEqual(7.0 / 8, scores.PixelAccuracy, 1e-12);
        Assert.AreEqual(1.0, scores.Precision);
        Assert.AreEqual(4.0 / 5, scores.Recall, 1e-12);
        Assert.AreEqual(1.0, scores.Specificity);
        Assert.AreEqual(2, scores.ImageCount);
        Assert.AreEqual(0, scores.EmptyTruthCount);
    }

    [TestMethod]
    public void ABatchOfConcatenatedMasksScoresLikeItsImagesOneByOne()
    {
        SegmentationSample[] samples =
        [
            new("hit", "p1", 1, 2, 2, new float[4], Full),
            new("miss", "p2", 1, 2, 2, new float[4], [1, 0, 0, 0]),
        ];
        byte[] predicted = [.. Full, .. Empty];
        var batch = new SegmentationEvaluator();
        batch.Add(predicted, samples);
        var oneByOne = new SegmentationEvaluator();
        oneByOne.Add(Full, Full, 2, 2, "p1", "hit");
        oneByOne.Add(Empty, [1, 0, 0, 0], 2, 2, "p2", "miss");

        Assert.AreEqual(oneByOne.GetScores().Counts, batch.GetScores().Counts);
        Assert.AreEqual(0.5, batch.GetScores().MeanGroupDice, 1e-12);
        CollectionAssert.AreEqual(new[] { "hit", "miss" }, batch.GetScores().PerImage.Select(i => i.Name).ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => new SegmentationEvaluator().Add(predicted.AsSpan(1), samples));
    }

    [TestMethod]
    public void Hd95IsAveragedOverImagesWhereItIsDefined()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Masks.Points(1, 5, (0, 0)), Masks.Points(1, 5, (0, 3)), 1, 5); // 3
        evaluator.Add(Masks.Points(1, 5, (0, 4)), Masks.Points(1, 5, (0, 3)), 1, 5); // 1
        evaluator.Add(new byte[5], Masks.Points(1, 5, (0, 3)), 1, 5);                // undefined: empty prediction
        evaluator.Add(new byte[5], new byte[5], 1, 5);                                // undefined: both empty

        var scores = evaluator.GetScores();

        Assert.AreEqual(2.0, scores.Hd95, 1e-12);
        Assert.AreEqual(2, scores.Hd95ImageCount);
        Assert.AreEqual(2, scores.Hd95UndefinedCount);
        Assert.AreEqual(1, scores.EmptyTruthCount);
        Assert.IsNull(scores.PerImage[2].Hd95);
        Assert.AreEqual(1.0, scores.PerImage[3].Dice); // both empty counts as perfect
    }

    [TestMethod]
    public void Hd95IsNaNWhenNoImageDefinesIt()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Empty, Empty, 2, 2);

        var scores = evaluator.GetScores();

        Assert.IsTrue(double.IsNaN(scores.Hd95));
        Assert.AreEqual(0, scores.Hd95ImageCount);
    }

    [TestMethod]
    public void GroupDicePoolsEachGroupThenAverages()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Full, Full, 2, 2, "a");                     // TP 4
        evaluator.Add(Empty, [1, 0, 0, 0], 2, 2, "a");           // FN 1
        evaluator.Add([1, 1, 0, 0], [0, 1, 1, 0], 2, 2, "b");    // TP 1, FP 1, FN 1

        var scores = evaluator.GetScores();

        // Group a pools TP 4, FN 1: 8/9. Group b: 2/4. Their mean: 25/36.
        Assert.AreEqual(2, scores.GroupCount);
        Assert.AreEqual(25.0 / 36, scores.MeanGroupDice, 1e-12);
        Assert.AreEqual((1 + 0 + 0.5) / 3, scores.MeanDice, 1e-12);
        Assert.AreEqual(10.0 / 13, scores.Dice, 1e-12); // all pooled: TP 5, FP 1, FN 2
    }

    [TestMethod]
    public void NoGroupsGiveNaNGroupDice()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Full, Full, 2, 2);

        var scores = evaluator.GetScores();

        Assert.AreEqual(0, scores.GroupCount);
        Assert.IsTrue(double.IsNaN(scores.MeanGroupDice));
    }

    [TestMethod]
    public void PerImageResultsKeepNamesGroupsAndOrder()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Full, Full, 2, 2, "p1", "first");
        evaluator.Add([1, 1, 0, 0], Full, 2, 2, "p2", "second");

        var perImage = evaluator.GetScores().PerImage;

        Assert.HasCount(2, perImage);
        Assert.AreEqual(new ImageScore(0, "first", "p1", new ConfusionCounts(4, 0, 0, 0), 0.0), perImage[0]);
        Assert.AreEqual("second", perImage[1].Name);
        Assert.AreEqual(1, perImage[1].Index);
        Assert.AreEqual(2.0 / 3, perImage[1].Dice, 1e-12);
        Assert.AreEqual(0.5, perImage[1].IoU, 1e-12);
    }

    [TestMethod]
    public void ScoresAreASnapshot()
    {
        var evaluator = new SegmentationEvaluator();
        evaluator.Add(Full, Full, 2, 2);
        var before = evaluator.GetScores();

        evaluator.Add(Empty, Full, 2, 2);

        Assert.AreEqual(1, before.ImageCount);
        Assert.AreEqual(1.0, before.Dice);
        Assert.AreEqual(2, evaluator.GetScores().ImageCount);
    }

    [TestMethod]
    public void NothingToScoreIsAnError()
    {
        Assert.ThrowsExactly<InvalidOperationException>(() => new SegmentationEvaluator().GetScores());
    }

    [TestMethod]
    public void WrongSizedMasksAreRejectedAndNotRecorded()
    {
        var evaluator = new SegmentationEvaluator();

        Assert.ThrowsExactly<ArgumentException>(() => evaluator.Add(Full, Full, 3, 2));
        Assert.AreEqual(0, evaluator.ImageCount);
    }
}
