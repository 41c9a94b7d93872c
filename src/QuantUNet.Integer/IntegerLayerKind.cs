namespace QuantUNet.Integer;

/// <summary>The three weight-layer kinds of a U-Net's integer datapath.</summary>
public enum IntegerLayerKind : byte
{
    /// <summary>3x3 convolution, stride 1, zero padding 1: output size = input size.</summary>
    Conv3x3 = 0,

    /// <summary>2x2 transposed convolution, stride 2: the learned upsampler, output size = 2 x input size.</summary>
    ConvTranspose2x2 = 1,

    /// <summary>1x1 convolution: the final per-pixel classifier.</summary>
    Conv1x1 = 2,
}

/// <summary>Geometry of each <see cref="IntegerLayerKind"/>.</summary>
public static class IntegerLayerKindGeometry
{
    /// <summary>Kernel height and width.</summary>
    public static int KernelSize(this IntegerLayerKind kind) => kind switch
    {
        IntegerLayerKind.Conv3x3 => 3,
        IntegerLayerKind.ConvTranspose2x2 => 2,
        IntegerLayerKind.Conv1x1 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer kind."),
    };

    /// <summary>How many times finer the output grid is than the input grid, as a power of two (1 for the upsampler).</summary>
    public static int UpsamplingLevels(this IntegerLayerKind kind) => kind == IntegerLayerKind.ConvTranspose2x2 ? 1 : 0;
}
