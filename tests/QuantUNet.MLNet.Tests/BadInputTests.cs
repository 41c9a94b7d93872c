using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// Bad values in an ML.NET pipeline (docs/bad-input.md): NaN or infinite vector values are refused naming the column and
/// the row, at scoring and at Fit; images of unknown size, missing images and unreadable files fail with the column named.
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    private static readonly MLContext MLContext = new(seed: 1);

    public sealed class FloatRow
    {
        public float[] Image { get; set; } = [];

        public float[] Label { get; set; } = [];
    }

    [TestMethod]
    [DataRow(float.NaN, "NaN")]
    [DataRow(float.PositiveInfinity, "Infinity")]
    [DataRow(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteImageValuesAreRefusedAtScoringNamingColumnAndRow(float bad, string shown)
    {
        using var transformer = new QuantUNetTransformer(TinyModels.Integer16());
        var data = Rows(TinyModels.Size, rows: 3, (row, image, _) => { if (row == 2) image[37] = bad; });

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => transformer.Transform(data).GetColumn<float[]>("Score").ToList());

        Assert.AreEqual($"image column 'Image', row 2: value {shown} at index 37 is not a finite number.", error.Message);
    }

    [TestMethod]
    public void NonFiniteValuesAreRefusedAtFitNamingColumnAndRow()
    {
        var trainer = MLContext.Segmentation().Trainers.QuantUNet(TestData.TinyOptions(labelColumn: "Label"));
        var badImage = Rows(TestData.Size, rows: 4, (row, image, _) => { if (row == 1) image[0] = float.PositiveInfinity; });
        var badMask = Rows(TestData.Size, rows: 4, (row, _, mask) => { if (row == 3) mask[10] = float.NaN; });

        var imageError = Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(badImage));
        var maskError = Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(badMask));

        Assert.AreEqual("image column 'Image', row 1: value Infinity at index 0 is not a finite number.", imageError.Message);
        Assert.AreEqual("label column 'Label', row 3: value NaN at index 10 is not a finite number.", maskError.Message);
    }

    [TestMethod]
    public void PixelsOutsideTheUnitRangeAreRefusedAtFitSayingHowToScale()
    {
        var trainer = MLContext.Segmentation().Trainers.QuantUNet(TestData.TinyOptions(labelColumn: "Label"));
        var unscaled = Rows(TestData.Size, rows: 2, (row, image, _) => { if (row == 1) image[3] = 200; });

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(unscaled));

        Assert.AreEqual("image column 'Image', row 1: value 200 at index 3 is outside [0, 1]. "
            + "QuantU-Net reads pixel intensities in [0, 1]: scale them when extracting, ExtractPixels(..., scaleImage: 1f / 255).", error.Message);
    }

    [TestMethod]
    public void ACacheAfterLoadImagesIsNamedAsTheReasonTheImageColumnIsMissing()
    {
        using var folder = new TempFolder();
        var data = MLContext.Data.LoadFromEnumerable(TestData.WriteFiles(folder.Path, 2));
        var pipeline = TestData.ImagePreprocessing(MLContext)
            .Append(MLContext.Transforms.LoadImages("Mask", imageFolder: null, nameof(TestData.PathRow.MaskPath)))
            .AppendCacheCheckpoint(MLContext)
            .Append(MLContext.Segmentation().Trainers.QuantUNet(TestData.TinyOptions()));

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pipeline.Fit(data));

        Assert.AreEqual("In the training data: Could not find image column 'Image'. The data has: ImagePath, MaskPath. (AppendCacheCheckpoint drops MLImage columns, "
            + "which it cannot cache: append it before LoadImages, or after ExtractPixels.)", error.Message);
    }

    [TestMethod]
    public void ImagesOfUnknownSizeAreRefusedNamingTheColumn()
    {
        using var folder = new TempFolder();
        var rows = TestData.WriteFiles(folder.Path, 1);
        var loaded = MLContext.Transforms.LoadImages("Image", imageFolder: null, nameof(TestData.PathRow.ImagePath))
            .Fit(MLContext.Data.LoadFromEnumerable(rows));
        using var transformer = new QuantUNetTransformer(TinyModels.Integer16());

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transformer.GetOutputSchema(loaded.GetOutputSchema(MLContext.Data.LoadFromEnumerable(rows).Schema)));

        StringAssert.Contains(error.Message, "Schema mismatch for image column 'Image'");
        StringAssert.Contains(error.Message, "got an MLImage column of unknown size");
    }

    [TestMethod]
    public void AMissingImageIsRefusedNamingColumnAndRow()
    {
        using var folder = new TempFolder();
        var rows = TestData.WriteFiles(folder.Path, 2);
        rows[1].ImagePath = "";

        Assert.AreEqual("image column 'Image', row 1: no image (an empty path?).", ScoringError(rows).Message);
    }

    [TestMethod]
    public void AFileThatIsNotAnImageIsRefusedNamingColumnAndRow()
    {
        using var folder = new TempFolder();
        var rows = TestData.WriteFiles(folder.Path, 1);
        File.WriteAllText(rows[0].ImagePath, "not a picture");

        Assert.AreEqual("image column 'Image', row 0: the image could not be loaded, is the file an image? (Invalid input stream contents (Parameter 'imageStream'))",
            ScoringError(rows).Message);
    }

    [TestMethod]
    public void RgbImagesAreReadAsGreyByLuminanceAndGreyImagesAsThreeEqualPlanes()
    {
        // Two Bgra32 pixels: pure red, and grey 200.
        using var image = MLImage.CreateFromPixels(2, 1, MLPixelFormat.Bgra32, [0, 0, 255, 255, 200, 200, 200, 255]);
        var grey = new float[2];
        var rgb = new float[6];

        ImagePixels.ToPlanar(image, 1, grey);
        ImagePixels.ToPlanar(image, 3, rgb);

        CollectionAssert.AreEqual(new[] { 0.299f * 255 / 255f, 200 / 255f }, grey);
        CollectionAssert.AreEqual(new[] { 1f, 200 / 255f, 0, 200 / 255f, 0, 200 / 255f }, rgb);
    }

    /// <summary>The error of loading, resizing and scoring the images of <paramref name="rows"/>.</summary>
    private static InvalidOperationException ScoringError(List<TestData.PathRow> rows)
    {
        var data = MLContext.Data.LoadFromEnumerable(rows);
        var loaded = MLContext.Transforms.LoadImages("Image", imageFolder: null, nameof(TestData.PathRow.ImagePath))
            .Append(MLContext.Transforms.ResizeImages("Image", TinyModels.Size, TinyModels.Size))
            .Fit(data).Transform(data);
        using var transformer = new QuantUNetTransformer(TinyModels.Integer16());
        return Assert.ThrowsExactly<InvalidOperationException>(() => transformer.Transform(loaded).GetColumn<float[]>("Score").ToList());
    }

    /// <summary><paramref name="rows"/> rows of a [1, size, size] float image (a gradient) and a float mask, changed by <paramref name="spoil"/>.</summary>
    private static IDataView Rows(int size, int rows, Action<int, float[], float[]> spoil)
    {
        var schema = SchemaDefinition.Create(typeof(FloatRow));
        schema[nameof(FloatRow.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, size, size);
        schema[nameof(FloatRow.Label)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size, size);
        var data = Enumerable.Range(0, rows).Select(row =>
        {
            var image = Enumerable.Range(0, size * size).Select(i => (i + row) % size / (float)size).ToArray();
            var mask = image.Select(p => p > 0.5f ? 1f : 0f).ToArray();
            spoil(row, image, mask);
            return new FloatRow { Image = image, Label = mask };
        }).ToList();
        return MLContext.Data.LoadFromEnumerable(data, schema);
    }
}
