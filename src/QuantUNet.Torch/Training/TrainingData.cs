using System.Runtime.InteropServices;
using System.Security.Cryptography;
using QuantUNet.Data;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>The training and validation samples as tensors, stacked once for a whole run.</summary>
internal sealed class TrainingData : IDisposable
{
    private TrainingData(Tensor images, Tensor masks, (Tensor Images, Tensor Masks)? validation)
    {
        Images = images;
        Masks = masks;
        Validation = validation;
    }

    public Tensor Images { get; }
    public Tensor Masks { get; }
    public (Tensor Images, Tensor Masks)? Validation { get; }
    public int Count => (int)Images.shape[0];
    /// <summary>Height and width of the training images (the last two dimensions of <see cref="Images"/>).</summary>
    public ImageSize ImageSize => new((int)Images.shape[2], (int)Images.shape[3]);

    public static TrainingData Stack(IReadOnlyList<SegmentationSample> training, IReadOnlyList<SegmentationSample>? validation)
    {
        var (images, masks) = SampleTensors.Stack(training);
        return new TrainingData(images, masks, validation is { Count: > 0 } ? SampleTensors.Stack(validation) : null);
    }

    /// <summary>SHA-256 of every pixel and mask value in order: a checkpoint resumes only on the data it was trained on.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Tensor[] parts = Validation is var (vx, vy) ? [Images, Masks, vx, vy] : [Images, Masks];
        foreach (var part in parts)
            hash.AppendData(MemoryMarshal.AsBytes(part.data<float>().ToArray().AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
        if (Validation is var (vx, vy)) { vx.Dispose(); vy.Dispose(); }
    }
}
