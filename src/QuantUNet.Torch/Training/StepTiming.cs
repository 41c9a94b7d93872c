using System.Diagnostics;
using QuantUNet.Torch.Model;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>Measures the cost of one training step, for comparing QAT with float training on equal terms.</summary>
public static class StepTiming
{
    /// <summary>
    /// The median wall time of <paramref name="steps"/> optimiser steps on one fixed batch, after
    /// <paramref name="warmup"/> untimed steps (which also finish activation calibration).
    /// </summary>
    public static double MedianStepSeconds(QuantUNetModel model, Tensor images, Tensor masks, TrainingOptions options, int warmup, int steps)
    {
        using var optimizer = SegmentationTrainer.CreateOptimizer(model, options);
        model.train();
        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            SegmentationTrainer.Step(model, optimizer, images, masks, options, bitwidthOn: model.Quantize);
            if (i >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
