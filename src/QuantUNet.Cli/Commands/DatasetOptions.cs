using System.CommandLine;
using QuantUNet.Torch.Model;

namespace QuantUNet.Cli.Commands;

/// <summary>Options and checks that train and evaluate share.</summary>
internal static class DatasetOptions
{
    public static Option<int> Threads() => new("--threads") { Description = "TorchSharp and integer engine threads (0: all cores).", DefaultValueFactory = _ => 0 };

    /// <exception cref="ArgumentException">The side is not a positive multiple of the U-Net's size multiple.</exception>
    public static int CheckSize(int size)
    {
        if (size < QuantUNetOptions.SizeMultiple || size % QuantUNetOptions.SizeMultiple != 0)
            throw new ArgumentException($"--size {size}: the side must be a positive multiple of {QuantUNetOptions.SizeMultiple}.");
        return size;
    }
}
