namespace QuantUNet.Integer;

/// <summary>The three kinds of weight layer a U-Net has, in the TorchSharp model and in the integer datapath alike.</summary>
public enum LayerKind : byte
{
    /// <summary>3x3 convolution, stride 1, zero padding 1: output size = input size.</summary>
    Conv3x3 = 0,

    /// <summary>2x2 transposed convolution, stride 2: the learned upsampler, output size = 2 x input size.</summary>
    ConvTranspose2x2 = 1,

    /// <summary>1x1 convolution: the final per-pixel classifier.</summary>
    Conv1x1 = 2,
}

/// <summary>Geometry of each <see cref="LayerKind"/>.</summary>
public static class LayerKindGeometry
{
    /// <summary>Kernel height and width.</summary>
    public static int KernelSize(this LayerKind kind) => kind switch
    {
        LayerKind.Conv3x3 => 3,
        LayerKind.ConvTranspose2x2 => 2,
        LayerKind.Conv1x1 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer kind."),
    };

    /// <summary>How many times finer the output grid is than the input grid, as a power of two (1 for the upsampler).</summary>
    public static int UpsamplingLevels(this LayerKind kind) => kind == LayerKind.ConvTranspose2x2 ? 1 : 0;
}
