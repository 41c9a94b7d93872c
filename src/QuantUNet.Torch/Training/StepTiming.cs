using System.Diagnostics;
using QuantUNet.Torch.Model;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>Measures the cost of one training step, for comparing QAT with float training on equal terms.</summary>
public static class StepTiming
{
    /// <summary>
    /// The median wall time of an optimiser step of each model on one fixed batch. Steps of the models
    /// alternate, so that a slow spell of a shared machine lands on both alike; <paramref name="warmup"/>
    /// untimed rounds come first (they also finish activation calibration).
    /// </summary>
    public static double[] MedianStepSeconds(IReadOnlyList<QuantUNetModel> models, Tensor images, Tensor masks, TrainingOptions options, int warmup, int steps)
    {
        var optimizers = models.Select(m => SegmentationTrainer.CreateOptimizer(m, options)).ToList();
        var times = models.Select(_ => new List<double>()).ToList();
        try
        {
            for (int round = 0; round < warmup + steps; round++)
            {
                for (int i = 0; i < models.Count; i++)
                {
                    models[i].train();
                    var clock = Stopwatch.StartNew();
                    // Freeing the step's tensors is timed too: a training loop pays for it every step, wherever it happens.
                    using (NewDisposeScope())
                        SegmentationTrainer.Step(models[i], optimizers[i], images, masks, options, bitwidthOn: models[i].Quantize);
                    if (round >= warmup) times[i].Add(clock.Elapsed.TotalSeconds);
                }
            }
        }
        finally
        {
            foreach (var optimizer in optimizers) optimizer.Dispose();
        }
        return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    }
}
