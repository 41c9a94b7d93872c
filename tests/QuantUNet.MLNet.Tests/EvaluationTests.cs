using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

[TestClass]
public sealed class EvaluationTests
{
    private sealed class MaskRow
    {
        public bool[] PredictedLabel { get; set; } = [];

        public float[] Label { get; set; } = [];

        public string Patient { get; set; } = "";
    }

    // 2x2 masks, row-major. Hand-computed per image: counts, Dice and HD95.
    private static readonly MaskRow[] Rows =
    [
        new() { PredictedLabel = [true, true, false, false], Label = [1, 0, 0, 0], Patient = "p1" },  // TP 1 FP 1 TN 2: Dice 2/3, HD95 0.9
        new() { PredictedLabel = [false, false, false, false], Label = [0, 0, 0, 0], Patient = "p1" }, // both empty: Dice 1, HD95 undefined
        new() { PredictedLabel = [false, false, false, false], Label = [0, 0, 0, 1], Patient = "p2" }, // missed: FN 1 TN 3, Dice 0
        new() { PredictedLabel = [false, true, false, false], Label = [0, 0, 0, 0], Patient = "p2" },  // false alarm: FP 1 TN 3, Dice 0
    ];

    private static IDataView Load(MLContext mlContext, IEnumerable<MaskRow> rows, DataViewType? labelType = null)
    {
        var schema = SchemaDefinition.Create(typeof(MaskRow));
        schema[nameof(MaskRow.PredictedLabel)].ColumnType = new VectorDataViewType(BooleanDataViewType.Instance, 2, 2);
        schema[nameof(MaskRow.Label)].ColumnType = labelType ?? new VectorDataViewType(NumberDataViewType.Single, 2, 2);
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }

    [TestMethod]
    public void PooledMeanAndEmptyMaskRulesMatchHandComputedValues()
    {
        var mlContext = new MLContext(seed: 1);

        var metrics = mlContext.Segmentation().Evaluate(Load(mlContext, Rows));

        // Pooled over all 16 pixels: TP 1, FP 2, FN 1, TN 12.
        Assert.AreEqual(new QuantUNet.Data.ConfusionCounts(1, 2, 12, 1), metrics.Counts);
        Assert.AreEqual(2.0 / 5, metrics.Dice, 1e-12);
        Assert.AreEqual(1.0 / 4, metrics.IoU, 1e-12);
        Assert.AreEqual(13.0 / 16, metrics.PixelAccuracy, 1e-12);
        Assert.AreEqual(1.0 / 3, metrics.Precision, 1e-12);
        Assert.AreEqual(1.0 / 2, metrics.Recall, 1e-12);
        Assert.AreEqual(12.0 / 14, metrics.Specificity, 1e-12);
        // Per image: 2/3, 1 (both empty), 0 (prediction empty), 0 (truth empty).
        CollectionAssert.AreEqual(new[] { 2.0 / 3, 1, 0, 0 }, metrics.PerImage.Select(i => i.Dice).ToArray());
        Assert.AreEqual(5.0 / 12, metrics.MeanDice, 1e-12);
        // HD95 only where both masks have pixels: distances {0, 1} and {0}, 95th percentile 0.9.
        Assert.AreEqual(0.9, metrics.Hd95, 1e-12);
        Assert.AreEqual(1, metrics.Hd95ImageCount);
        Assert.AreEqual(3, metrics.Hd95UndefinedCount);
        Assert.AreEqual(2, metrics.EmptyTruthCount);
        Assert.AreEqual(4, metrics.ImageCount);
        Assert.IsTrue(double.IsNaN(metrics.MeanGroupDice), "no group column, no group Dice");
    }

    [TestMethod]
    public void GroupDicePoolsEachGroupsPixels()
    {
        var mlContext = new MLContext(seed: 1);

        var metrics = mlContext.Segmentation().Evaluate(Load(mlContext, Rows), groupColumnName: nameof(MaskRow.Patient));

        // p1 pools TP 1, FP 1: Dice 2/3. p2 pools FP 1, FN 1: Dice 0.
        Assert.AreEqual(2, metrics.GroupCount);
        Assert.AreEqual(1.0 / 3, metrics.MeanGroupDice, 1e-12);
        Assert.AreEqual("p2", metrics.PerImage[3].GroupId);
    }

    [TestMethod]
    public void LabelsBinariseAboveHalfTheirFullScale()
    {
        var mlContext = new MLContext(seed: 1);
        var all = new[] { true, true, true, true };
        // 0/255 masks: above 127 is foreground. 0/1 masks (and probabilities): above 0.5.
        var rows = new MaskRow[]
        {
            new() { PredictedLabel = all, Label = [255, 128, 127, 0] },
            new() { PredictedLabel = all, Label = [1, 0.6f, 0.5f, 0] },
        };

        var metrics = mlContext.Segmentation().Evaluate(Load(mlContext, rows));

        Assert.AreEqual(2, metrics.PerImage[0].Counts.TruePositives);
        Assert.AreEqual(2, metrics.PerImage[1].Counts.TruePositives);
    }

    [TestMethod]
    public void WrongLabelSizeNamesTheColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, [new() { PredictedLabel = [true, false, false, false], Label = [1, 0, 0] }],
            new VectorDataViewType(NumberDataViewType.Single, 3));

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Segmentation().Evaluate(data));

        StringAssert.Contains(error.Message, "label column 'Label'");
        StringAssert.Contains(error.Message, "2x2");
    }

    [TestMethod]
    public void EmptyDataIsRefused()
    {
        var mlContext = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<ArgumentException>(() => mlContext.Segmentation().Evaluate(Load(mlContext, [])));

        StringAssert.Contains(error.Message, "no rows");
    }
}
