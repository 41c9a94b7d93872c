using QuantUNet.Integer.Package;
using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Persistence;
using QuantUNet.Torch.Training;

namespace QuantUNet.Cli.Tests;

/// <summary>An untrained float U-Net of base width 4, saved for the tests that need a model but not its masks: in seconds, where training takes minutes.</summary>
internal static class UntrainedModel
{
    /// <returns><paramref name="path"/>.</returns>
    public static string Save(string path, int imageSize)
    {
        using var model = SegmentationTrainer.CreateModel(new ArchitectureOptions { BaseWidth = 4, Quantize = false }, seed: 1);
        ModelFile.Save(model, path, ImageSize.Square(imageSize), new TrainingRecord());
        return path;
    }
}
