using Microsoft.ML;

namespace QuantUNet.MLNet.Tests;

/// <summary>The trainer's Options are checked when the estimator is made, each message naming the field and its value.</summary>
[TestClass]
public sealed class OptionsValidationTests
{
    private static readonly MLContext MLContext = new(seed: 1);

    [TestMethod]
    [DataRow(nameof(QuantUNetTrainer.Options.BaseWidth), 0, "QuantUNetTrainer.Options.BaseWidth is 0: the first U-Net level needs at least one channel. (Parameter 'BaseWidth')")]
    [DataRow(nameof(QuantUNetTrainer.Options.Epochs), 0, "QuantUNetTrainer.Options.Epochs is 0: train at least one epoch. (Parameter 'Epochs')")]
    [DataRow(nameof(QuantUNetTrainer.Options.Epochs), 1, "QuantUNetTrainer.Options.Epochs is 1: the float warm start (FloatWarmStartEpochs null) needs at least 2 epochs, one float and one quantization-aware; set FloatWarmStartEpochs = 0 to train quantized from scratch. (Parameter 'Epochs')")]
    [DataRow(nameof(QuantUNetTrainer.Options.BatchSize), 0, "QuantUNetTrainer.Options.BatchSize is 0: a step needs at least one image. (Parameter 'BatchSize')")]
    [DataRow(nameof(QuantUNetTrainer.Options.FloatWarmStartEpochs), 10, "QuantUNetTrainer.Options.FloatWarmStartEpochs is 10: between 0 (no warm start) and Epochs - 1 (9) of the 10 epochs train float, so that quantization-aware epochs follow. (Parameter 'FloatWarmStartEpochs')")]
    [DataRow(nameof(QuantUNetTrainer.Options.Threads), -1, "QuantUNetTrainer.Options.Threads is -1: use a positive thread count, or 0 for the library's default. (Parameter 'Threads')")]
    public void WholeNumberFieldsAreCheckedWhenTheEstimatorIsMade(string field, int value, string message)
    {
        var options = new QuantUNetTrainer.Options();
        typeof(QuantUNetTrainer.Options).GetField(field)!.SetValue(options, value);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MLContext.Segmentation().Trainers.QuantUNet(options));

        Assert.AreEqual(message, error.Message);
        Assert.AreEqual(field, error.ParamName);
    }

    [TestMethod]
    [DataRow(nameof(QuantUNetTrainer.Options.LearningRate), double.NaN, "NaN")]
    [DataRow(nameof(QuantUNetTrainer.Options.LearningRate), -0.001, "-0.001")]
    [DataRow(nameof(QuantUNetTrainer.Options.QuantizerLearningRate), 0.0, "0")]
    [DataRow(nameof(QuantUNetTrainer.Options.QuantizerLearningRate), double.PositiveInfinity, "Infinity")]
    public void LearningRatesMustBePositiveNumbers(string field, double value, string shown)
    {
        var options = new QuantUNetTrainer.Options();
        typeof(QuantUNetTrainer.Options).GetField(field)!.SetValue(options, value);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MLContext.Segmentation().Trainers.QuantUNet(options));

        Assert.AreEqual($"QuantUNetTrainer.Options.{field} is {shown}: a learning rate must be a positive number. (Parameter '{field}')", error.Message);
    }

    [TestMethod]
    public void LambdaMustNotBeNaN()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MLContext.Segmentation().Trainers.QuantUNet(new QuantUNetTrainer.Options { Lambda = double.NaN }));

        Assert.AreEqual("QuantUNetTrainer.Options.Lambda is NaN: the bitwidth term's weight must be 0 or a positive number. (Parameter 'Lambda')", error.Message);
    }

    [TestMethod]
    public void QuantizerBitRangesAreCheckedWithTheFieldNamed()
    {
        var options = new QuantUNetTrainer.Options { Quantization = new() { WeightBits = new(Initial: 8, Min: 1, Max: 8) } };

        var error = Assert.ThrowsExactly<ArgumentException>(() => MLContext.Segmentation().Trainers.QuantUNet(options));

        StringAssert.StartsWith(error.Message, "QuantUNetTrainer.Options.Quantization.WeightBits: widths 1..8 starting at 8 must lie within");
    }

    [TestMethod]
    public void EpochsCountsAllEpochsSplitAsTheCliSplitsThem()
    {
        Assert.AreEqual(new(16, 16, 4), new QuantUNetTrainer.Options { Epochs = 20 }.Schedule()); // quantunet train --epochs 20
        Assert.AreEqual(new(8, 8, 2), new QuantUNetTrainer.Options().Schedule());
        Assert.AreEqual(new(1, 1, 1), new QuantUNetTrainer.Options { Epochs = 2 }.Schedule()); // 80% of 2 rounds to 2: one QAT epoch stays
        Assert.AreEqual(new(0, 0, 10), new QuantUNetTrainer.Options { FloatWarmStartEpochs = 0 }.Schedule());
        Assert.AreEqual(new(3, 3, 7), new QuantUNetTrainer.Options { FloatWarmStartEpochs = 3 }.Schedule());
        Assert.AreEqual(new(1, 0, 0), new QuantUNetTrainer.Options { Quantize = false, Epochs = 1 }.Schedule());
    }

    [TestMethod]
    public void EveryTrainingSettingOfTheOptionsReachesTheTrainingOptions()
    {
        // Each Options field named as a TrainingOptions setting gets a value other than its default; the run must see it.
        var options = new QuantUNetTrainer.Options();
        var settings = typeof(QuantUNet.Torch.Training.TrainingOptions).GetProperties().ToDictionary(p => p.Name);
        var carried = typeof(QuantUNetTrainer.Options).GetFields().Where(f => settings.ContainsKey(f.Name) && f.Name != nameof(QuantUNetTrainer.Options.Seed)).ToList();
        foreach (var field in carried)
        {
            object value = field.GetValue(options) switch
            {
                int n => n + 3,
                double d => d / 2 + 0.125,
                bool b => !b,
                Enum e => Enum.GetValues(e.GetType()).Cast<object>().First(v => !v.Equals(e)),
                _ when field.FieldType == typeof(double?) => 3.5,
                _ when field.FieldType == typeof(string) => "checkpoints",
                var other => throw new AssertFailedException($"{field.Name}: no test value for {other?.GetType().Name ?? field.FieldType.Name}"),
            };
            field.SetValue(options, value);
        }
        var training = options.Training(seed: 7);
        foreach (var field in carried)
            Assert.AreEqual(field.GetValue(options), settings[field.Name].GetValue(training), $"Options.{field.Name} does not reach TrainingOptions.{field.Name}");
        Assert.IsTrue(carried.Select(f => f.Name).Contains(nameof(QuantUNetTrainer.Options.WeightAverageEpochs)));
        Assert.AreEqual(7, training.Seed);
    }
}
