using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// Statistics scaling: the threshold of each channel is the largest magnitude in it, so nothing
/// clips. The gradient flows through the max, as with Brevitas' parameter-statistics scaling.
/// </summary>
public static class MaxAbsThreshold
{
    /// <summary>max |x| over every axis but <paramref name="channelAxis"/>, kept as size-1 axes so it broadcasts against x.</summary>
    public static Tensor PerChannel(Tensor x, int channelAxis)
    {
        var reduced = Enumerable.Range(0, (int)x.dim()).Where(a => a != channelAxis).Select(a => (long)a).ToArray();
        return x.abs().amax(reduced, keepdim: true).ClampMin(1e-8);
    }
}
