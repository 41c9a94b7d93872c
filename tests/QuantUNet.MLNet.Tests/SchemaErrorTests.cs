using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary>A wrong column fails at Fit or GetOutputSchema with a message naming it, before any training.</summary>
[TestClass]
public sealed class SchemaErrorTests
{
    private static readonly MLContext MLContext = new(seed: 1);

    private static QuantUNetTrainer Trainer(Action<QuantUNetTrainer.Options>? change = null)
    {
        var options = TestData.TinyOptions(labelColumn: "Label");
        change?.Invoke(options);
        return MLContext.Segmentation().Trainers.QuantUNet(options);
    }

    private static IDataView Vectors(int[]? imageDimensions = null) =>
        TestData.Vectors(MLContext, TestData.Slices(2), imageDimensions);

    [TestMethod]
    public void MissingImageColumnIsNamed()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => o.ImageColumnName = "Picture").Fit(Vectors()));

        StringAssert.Contains(error.Message, "Could not find image column 'Picture'");
    }

    [TestMethod]
    public void TextImageColumnIsNamedWithItsType()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => o.ImageColumnName = "Patient").Fit(Vectors()));

        StringAssert.Contains(error.Message, "image column 'Patient'");
        StringAssert.Contains(error.Message, "ReadOnlyMemory");
    }

    [TestMethod]
    public void MaskOfAnotherSizeIsNamed()
    {
        var samples = TestData.Slices(2);
        var schema = SchemaDefinition.Create(typeof(TestData.VectorRow));
        schema["Image"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, TestData.Size, TestData.Size);
        schema["Label"].ColumnType = new VectorDataViewType(NumberDataViewType.Byte, 16, 16);
        var data = MLContext.Data.LoadFromEnumerable(
            samples.Select(s => new TestData.VectorRow { Image = s.Image, Label = new byte[256] }), schema);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));

        StringAssert.Contains(error.Message, "label column 'Label'");
        StringAssert.Contains(error.Message, "32x32");
    }

    [TestMethod]
    public void ValidationSetIsCheckedToo()
    {
        var validation = TestData.Vectors(MLContext, TestData.Slices(2), [1, 16, 64]);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => o.ValidationSet = validation).Fit(Vectors()));

        StringAssert.Contains(error.Message, "validation set");
        StringAssert.Contains(error.Message, "1x32x32");
    }

    [TestMethod]
    public void EstimatorSchemaIsCheckedBeforeData()
    {
        var shape = new SchemaShape(
        [
            MLNetInternals.ShapeColumn("Image", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single),
            MLNetInternals.ShapeColumn("Label", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Byte),
            MLNetInternals.ShapeColumn("Patient", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance),
        ]);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => o.LabelColumnName = "Patient").GetOutputSchema(shape));
        var output = Trainer().GetOutputSchema(shape);

        StringAssert.Contains(error.Message, "label column 'Patient'");
        var score = output.Single(c => c.Name == "Score");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, score.Kind);
        Assert.AreEqual(NumberDataViewType.Single, score.ItemType);
        Assert.AreEqual(BooleanDataViewType.Instance, output.Single(c => c.Name == "PredictedLabel").ItemType);
    }

    [TestMethod]
    public void FakeQuantizedScoringNeedsAQuantizedModel()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => Trainer(o => { o.Quantize = false; o.ScoringMode = ScoringMode.FakeQuantized; }));

        StringAssert.Contains(error.Message, "Quantize = false");
    }
}
