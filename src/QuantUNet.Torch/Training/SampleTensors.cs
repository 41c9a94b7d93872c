using QuantUNet.Data;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>Turns samples into the tensors the model takes: images [N, C, H, W], masks [N, 1, H, W] as 0/1 floats.</summary>
public static class SampleTensors
{
    /// <summary>Stacks <paramref name="samples"/> into one image tensor and one mask tensor, in order.</summary>
    /// <param name="samples">Samples of one size and channel count.</param>
    /// <exception cref="ArgumentException">No samples, or samples of different sizes or channels.</exception>
    public static (Tensor Images, Tensor Masks) Stack(IReadOnlyList<SegmentationSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("No samples.", nameof(samples));
        var first = samples[0];
        int channels = first.Channels, height = first.Height, width = first.Width;
        var pixels = new float[samples.Count * channels * height * width];
        var masks = new float[samples.Count * height * width];
        for (int i = 0; i < samples.Count; i++)
        {
            var sample = samples[i].Validate();
            if (sample.Channels != channels || sample.Height != height || sample.Width != width)
                throw new ArgumentException(
                    $"{sample.Name} is {sample.Channels}x{sample.Height}x{sample.Width}; {first.Name} is {channels}x{height}x{width}. Resize all samples to one size.");
            sample.Image.CopyTo(pixels, i * sample.Image.Length);
            for (int p = 0; p < sample.Mask.Length; p++) masks[i * sample.Mask.Length + p] = sample.Mask[p];
        }
        return (tensor(pixels, [samples.Count, channels, height, width]), tensor(masks, [samples.Count, 1, height, width]));
    }
}
