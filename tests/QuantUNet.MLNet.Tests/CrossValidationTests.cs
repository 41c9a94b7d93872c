using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet.Tests;

/// <summary><c>ml.Segmentation().CrossValidate</c>: one result per fold, patients kept whole by the sampling key.</summary>
[TestClass]
public sealed class CrossValidationTests
{
    [TestMethod]
    public void EachPatientIsHeldOutInExactlyOneFold()
    {
        var mlContext = new MLContext(seed: 1);
        var samples = TestData.Slices(16); // 4 patients of 4 slices
        var data = TestData.Vectors(mlContext, samples);
        var trainer = mlContext.Segmentation().Trainers.QuantUNet(TestData.TinyOptions(labelColumn: "Label"));

        var folds = mlContext.Segmentation().CrossValidate(data, trainer, numberOfFolds: 2, samplingKeyColumnName: nameof(TestData.VectorRow.Patient), seed: 1);

        CollectionAssert.AreEqual(new[] { 0, 1 }, folds.Select(f => f.Fold).ToArray());
        var heldOut = folds.Select(f => f.ScoredHoldOutSet.GetColumn<string>(nameof(TestData.VectorRow.Patient)).ToList()).ToList();
        var patientsByFold = heldOut.Select(p => p.Distinct().ToList()).ToList();
        CollectionAssert.AreEquivalent(samples.Select(s => s.GroupId).Distinct().ToList(), patientsByFold.SelectMany(p => p).ToList(),
            "every patient is held out once, never in two folds");
        Assert.AreEqual(samples.Count, heldOut.Sum(p => p.Count), "every slice is held out once");
        for (int fold = 0; fold < folds.Count; fold++)
        {
            Assert.AreEqual(heldOut[fold].Count, folds[fold].Metrics.ImageCount);
            Assert.AreEqual(patientsByFold[fold].Count, folds[fold].Metrics.GroupCount);
            (folds[fold].Model as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void AMissingSamplingKeyIsNamed()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(4));
        var trainer = mlContext.Segmentation().Trainers.QuantUNet(TestData.TinyOptions(labelColumn: "Label"));

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Segmentation().CrossValidate(data, trainer, samplingKeyColumnName: "PatientId"));

        StringAssert.StartsWith(error.Message, "Could not find sampling key column 'PatientId'. The data has: Image, Label, Patient.");
    }
}
