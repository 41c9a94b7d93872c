using System.Reflection;
using Microsoft.ML;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;
using TorchSharp;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// Fit stops within one training step when the MLContext or the options' token is cancelled, as ML.NET's own trainers
/// do, releases every tensor it made, and leaves only whole checkpoints behind.
/// </summary>
[TestClass]
public sealed class CancellationTests
{
    [TestMethod]
    public void CancellingTheTokenStopsFitBeforeTheNextStepAndFreesTheModel()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(8));
        var steps = new List<int>();

        long leaked = LiveTensorsLeftBy(() =>
        {
            using var cancellation = new CancellationTokenSource();
            var options = TestData.TinyOptions(labelColumn: "Label");
            options.Epochs = 3;
            options.CancellationToken = cancellation.Token;
            options.Progress = p => { steps.Add(p.Step); cancellation.Cancel(); };
            var trainer = mlContext.Segmentation().Trainers.QuantUNet(options);
            Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        });

        // Making and disposing the model alone leaves some tensors counted live (measured, not a cancellation matter):
        // a cancelled Fit must leave no more than that, so model, optimiser and data were all released.
        long leftByTheModel = LiveTensorsLeftBy(() => SegmentationTrainer.CreateModel(TestData.TinyOptions().Architecture(inputChannels: 1), seed: 7).Dispose());
        CollectionAssert.AreEqual(new[] { 1, 1 }, steps); // one step in each of the two Fits, of 2 x 3
        Assert.AreEqual(leftByTheModel, leaked);
    }

    [TestMethod]
    public void CancellingTheMLContextStopsFitAfterTheStepUnderWay()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(8));
        var steps = new List<int>();
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.Epochs = 3;
        options.Progress = p => { steps.Add(p.Step); CancelExecution(mlContext); };
        var trainer = mlContext.Segmentation().Trainers.QuantUNet(options);

        var error = Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));

        Assert.AreEqual("Operation was canceled.", error.Message);
        CollectionAssert.AreEqual(new[] { 1 }, steps);
    }

    [TestMethod]
    public void ACancelledFitLeavesOnlyTheLastWholeCheckpoint()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = TestData.Vectors(mlContext, TestData.Slices(8));
        using var cancellation = new CancellationTokenSource();
        var options = TestData.TinyOptions(labelColumn: "Label");
        options.Epochs = 3;
        options.CheckpointDirectory = folder.Path;
        options.CancellationToken = cancellation.Token;
        options.Progress = p => { if (p.Epoch == 2) cancellation.Cancel(); }; // in the middle of epoch 2 of 2 steps

        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.Segmentation().Trainers.QuantUNet(options).Fit(data));

        CollectionAssert.AreEqual(new[] { TrainingCheckpoint.PathIn(folder.Path) }, Directory.GetFiles(folder.Path));
        Assert.AreEqual(1, TrainingCheckpoint.LoadFrom(folder.Path).PhaseEpochsDone);
    }

    /// <summary>
    /// Tensors still alive after the second of two runs of <paramref name="run"/> that were not after the first: the first
    /// run may leave TorchSharp's own one-time tensors behind, a second one that leaks leaves more.
    /// </summary>
    private static long LiveTensorsLeftBy(Action run)
    {
        run();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        run();
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
    }

    /// <summary>What <c>mlContext.CancelExecution()</c> of the Microsoft.ML.Experimental package calls (internal in Microsoft.ML).</summary>
    private static void CancelExecution(MLContext mlContext) =>
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(mlContext, null);
}
