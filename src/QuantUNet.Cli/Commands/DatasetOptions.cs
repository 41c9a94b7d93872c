using System.CommandLine;
using QuantUNet.Data;
using QuantUNet.Torch.Model;

namespace QuantUNet.Cli.Commands;

/// <summary>Options and checks that train and evaluate share.</summary>
internal static class DatasetOptions
{
    public static Option<int> Threads() => new("--threads") { Description = "TorchSharp and integer engine threads (0: all cores).", DefaultValueFactory = _ => 0 };

    public static Option<bool> Strict() => new("--strict")
    {
        Description = "Make the data warnings errors: files skipped (not regular files, broken links, links to a folder listed already), masks without an image, masks whose data the mask rule reads as empty.",
    };

    /// <exception cref="ArgumentException">The side is not a positive multiple of the U-Net's size multiple, or larger than the largest image read.</exception>
    public static int CheckSize(int size)
    {
        if (size < ArchitectureOptions.SizeMultiple || size % ArchitectureOptions.SizeMultiple != 0 || size > ImageFile.MaxSide)
            throw new ArgumentException($"--size {size}: the side must be a positive multiple of {ArchitectureOptions.SizeMultiple}, at most {ImageFile.MaxSide}.");
        return size;
    }

    /// <summary>
    /// Checks evaluate's and predict's --size, where 0 means the side the model was trained at. Any side up to
    /// <see cref="ImageFile.MaxSide"/> scores: the scorer pads to the size multiple and crops back (QuantUNet.Integer.ImagePadding).
    /// </summary>
    /// <exception cref="ArgumentException">The side is negative or larger than the largest image read.</exception>
    public static int CheckScoringSize(int size) => size == 0 ? 0 : CheckRange(size, 1, ImageFile.MaxSide, "--size", "the side");

    /// <exception cref="ArgumentException">The value lies outside [<paramref name="minimum"/>, <paramref name="maximum"/>]; the message names the option and says what it is.</exception>
    public static int CheckRange(int value, int minimum, int maximum, string option, string what)
    {
        if (value < minimum || value > maximum)
            throw new ArgumentException(maximum == int.MaxValue
                ? $"{option} {value}: {what} must be at least {minimum}."
                : $"{option} {value}: {what} must be {minimum} to {maximum}.");
        return value;
    }

    /// <exception cref="ArgumentException">The thread count is negative.</exception>
    public static int CheckThreads(int threads) => CheckRange(threads, 0, int.MaxValue, "--threads", "the thread count (0: all cores)");
}
