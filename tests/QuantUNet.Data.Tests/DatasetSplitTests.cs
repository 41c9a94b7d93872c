namespace QuantUNet.Data.Tests;

[TestClass]
public sealed class DatasetSplitTests
{
    private static SegmentationSample Sample(string group, int slice) =>
        new($"{group}-{slice}", group, 1, 1, 1, [0f], [0]);

    /// <summary>10 groups of 3 slices, interleaved so groups are not contiguous in the input.</summary>
    private static List<SegmentationSample> Samples() =>
        [.. Enumerable.Range(0, 3).SelectMany(slice => Enumerable.Range(0, 10).Select(g => Sample($"g{g}", slice)))];

    [TestMethod]
    public void NoGroupLandsOnBothSides()
    {
        var samples = Samples();

        var (train, validation) = DatasetSplit.ByGroup(samples, 0.2, seed: 1);

        var trainGroups = train.Select(s => s.GroupId).ToHashSet();
        var validationGroups = validation.Select(s => s.GroupId).ToHashSet();
        Assert.IsFalse(trainGroups.Overlaps(validationGroups));
        Assert.HasCount(2, validationGroups); // round(0.2 x 10) groups
        Assert.HasCount(6, validation);
        Assert.AreSequenceEqual(samples, train.Concat(validation), SequenceOrder.InAnyOrder);
    }

    [TestMethod]
    public void OneFifthOfTwentyFourPatientsHoldsOutFive()
    {
        // The LGG development set: 0.2 x 24 = 4.8 rounds to 5, so 19 patients train and 5 validate.
        var samples = Enumerable.Range(0, 24).Select(g => Sample($"patient{g}", 0)).ToList();

        var (train, validation) = DatasetSplit.ByGroup(samples, 0.2, seed: 1);

        Assert.HasCount(19, train);
        Assert.HasCount(5, validation);
    }

    [TestMethod]
    public void KeepsInputOrderWithinEachSide()
    {
        var samples = Samples();

        var (train, validation) = DatasetSplit.ByGroup(samples, 0.3, seed: 4);

        Assert.AreSequenceEqual(samples.Where(train.Contains), train);
        Assert.AreSequenceEqual(samples.Where(validation.Contains), validation);
    }

    [TestMethod]
    public void IsDeterministicAndIndependentOfInputOrder()
    {
        var samples = Samples();
        var reversed = Enumerable.Reverse(samples).ToList();

        var first = DatasetSplit.ByGroup(samples, 0.3, seed: 9).Validation.Select(s => s.GroupId).ToHashSet();
        var again = DatasetSplit.ByGroup(samples, 0.3, seed: 9).Validation.Select(s => s.GroupId).ToHashSet();
        var fromReversed = DatasetSplit.ByGroup(reversed, 0.3, seed: 9).Validation.Select(s => s.GroupId).ToHashSet();

        Assert.IsTrue(first.SetEquals(again));
        Assert.IsTrue(first.SetEquals(fromReversed));
    }

    [TestMethod]
    public void SeedsChooseDifferentGroups()
    {
        var samples = Samples();

        var choices = Enumerable.Range(0, 5)
            .Select(seed => string.Join(",", DatasetSplit.ByGroup(samples, 0.3, seed).Validation.Select(s => s.GroupId).Distinct().Order()))
            .Distinct();

        Assert.IsGreaterThan(1, choices.Count());
    }

    [TestMethod]
    [DataRow(0.01)]
    [DataRow(0.99)]
    public void TwoGroupsAlwaysGiveOneEachSide(double fraction)
    {
        SegmentationSample[] samples = [Sample("a", 0), Sample("a", 1), Sample("b", 0)];

        var (train, validation) = DatasetSplit.ByGroup(samples, fraction, seed: 0);

        Assert.HasCount(1, train.Select(s => s.GroupId).Distinct());
        Assert.HasCount(1, validation.Select(s => s.GroupId).Distinct());
    }

    [TestMethod]
    public void ZeroFractionPutsEverythingInTraining()
    {
        SegmentationSample[] samples = [Sample("only", 0), Sample("only", 1)];

        var (train, validation) = DatasetSplit.ByGroup(samples, 0, seed: 0);

        Assert.AreSequenceEqual(samples, train);
        Assert.IsEmpty(validation);
    }

    [TestMethod]
    public void OneGroupCannotBeSplit()
    {
        SegmentationSample[] samples = [Sample("only", 0), Sample("only", 1)];

        var error = Assert.ThrowsExactly<ArgumentException>(() => DatasetSplit.ByGroup(samples, 0.2, seed: 0));

        Assert.Contains("'only'", error.Message);
    }

    [TestMethod]
    [DataRow(-0.1)]
    [DataRow(1.0)]
    [DataRow(double.NaN)]
    public void FractionMustBeBelowOne(double fraction)
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DatasetSplit.ByGroup(Samples(), fraction, seed: 0));
    }
}
