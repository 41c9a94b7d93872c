using System.Text.Json;

namespace QuantUNet.Cli.Tests;

/// <summary>
/// Brain extraction on real MRI from Debian packages (.ci/run installs them): QuantU-Net trained on slabs of the
/// Colin27 T1 volume (mricron-data, mask: its skull-stripped twin &gt; 0), validated on held-out slabs, then scored by
/// the integer engine on a second subject from another scanner (insighttoolkit5-examples).
/// </summary>
[TestClass]
public sealed class RealVolumeTests
{
    private const string Templates = "/usr/share/mricron/templates";
    private const string ItkData = "/usr/share/doc/insighttoolkit5-examples/examples/Data";

    /// <summary>
    /// All-background masks score a Dice of 0 wherever there is brain; a learned model must be far above it: on held-out
    /// slabs of the training subject, and (with a lower bar, as a scanner shift costs accuracy) on the second subject.
    /// </summary>
    private const double HeldOutSlabDice = 0.75, SecondSubjectDice = 0.5;

    [TestMethod]
    public void QuantUNetLearnsBrainExtractionOnRealVolumesAndTheIntegerEngineScoresAnotherSubject()
    {
        string image = Path.Combine(Templates, "ch2.nii.gz"), brain = Path.Combine(Templates, "ch2bet.nii.gz");
        string otherImage = Path.Combine(ItkData, "KmeansTest_T1UCharRaw.nii.gz"), otherBrain = Path.Combine(ItkData, "KmeansTest_T1RawSkullStrip.nii.gz");
        foreach (var file in new[] { image, brain, otherImage, otherBrain })
            if (!File.Exists(file))
                Assert.Inconclusive($"{file} is missing: apt-get install mricron-data insighttoolkit5-examples (.ci/run does)");

        var directory = Directory.CreateTempSubdirectory("quantunet-volume").FullName;
        try
        {
            string run = Path.Combine(directory, "run"), evaluation = Path.Combine(directory, "evaluation");
            // 141 training slices make 9 steps an epoch at the default batch 16: batch 8 and 16 epochs (13 float, 3 QAT
            // fine-tuning at the default warm-start share) give the recipe enough steps to converge, in about a minute.
            var train = CommandRunner.Run("train", "--data", image, "--labels", brain, "--out", run,
                "--size", "64", "--width", "8", "--epochs", "16", "--batch", "8", "--seed", "1", "--threads", "2");
            Assert.AreEqual(0, train.ExitCode, train.Output + train.Error);
            using (var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "train.json"))))
            {
                var validation = report.RootElement.GetProperty("validation");
                double dice = validation.GetProperty("dice").GetDouble();
                Assert.IsGreaterThan(HeldOutSlabDice, dice, $"held-out slabs of Colin27: Dice {dice:F4}\n{train.Output}");
            }

            var evaluate = CommandRunner.Run("evaluate", "--model", run, "--data", otherImage, "--labels", otherBrain, "--out", evaluation, "--threads", "2");
            Assert.AreEqual(0, evaluate.ExitCode, evaluate.Output + evaluate.Error);
            using var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(evaluation, "metrics.json")));
            var figures = metrics.RootElement;
            Assert.AreEqual("integer", figures.GetProperty("mode").GetString());
            Assert.AreEqual(62, figures.GetProperty("images").GetInt32(), "every axial slice of the second subject");
            double otherDice = figures.GetProperty("dice").GetDouble();
            Assert.IsGreaterThan(SecondSubjectDice, otherDice, $"second subject, integer engine: Dice {otherDice:F4}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
