using QuantUNet.Integer;
using QuantUNet.Torch.Quantization;

namespace QuantUNet.Torch.Model;

/// <summary>The architecture of a QuantU-Net: a 4-level U-Net with 23 quantized weight layers.</summary>
public sealed record ArchitectureOptions
{
    /// <summary>Image channels: 1 (grey) or 3 (e.g. the LGG set's three MRI sequences). Default 1.</summary>
    public int InputChannels { get; init; } = 1;

    /// <summary>Channels of the first level; each level below doubles it. 64 is the classic U-Net. Default 16.</summary>
    public int BaseWidth { get; init; } = 16;

    /// <summary>False builds the float baseline: the same network with every quantizer off. Default true (QuantU-Net).</summary>
    public bool Quantize { get; init; } = true;

    /// <summary>
    /// A BatchNorm after every 3x3 convolution (18 of the 23 layers): the float phase trains with batch statistics;
    /// QAT and the integer model fold it into the convolution's weights and bias (see <c>QuantizedLayer</c>).
    /// Model files written before it existed load with false.
    /// Default true.
    /// </summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>How the model maps incoming [0, 1] intensities before its input quantizer: part of the model, so scoring applies the one training used. Default <see cref="PixelNormalization.UnitRange"/>.</summary>
    public PixelNormalization Normalization { get; init; } = PixelNormalization.UnitRange;

    /// <summary>The quantizers' settings (bit ranges, weight scaling, activation thresholds); the defaults of <see cref="QuantizationOptions"/>.</summary>
    public QuantizationOptions Quantization { get; init; } = new();

    /// <summary>Height and width must be multiples of this (one 2x2 pooling a level).</summary>
    public const int SizeMultiple = 1 << UNetPlan.Levels;

    internal void Validate()
    {
        if (InputChannels < 1) throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, "Need at least one input channel.");
        if (BaseWidth < 1) throw new ArgumentOutOfRangeException(nameof(BaseWidth), BaseWidth, "Base width must be positive.");
        Quantization.WeightBits.Validate(BitwidthBounds.Weight, $"{nameof(Quantization)}.{nameof(QuantizationOptions.WeightBits)}");
        Quantization.ActivationBits.Validate(BitwidthBounds.Activation, $"{nameof(Quantization)}.{nameof(QuantizationOptions.ActivationBits)}");
        Quantization.ImageBits.Validate(BitwidthBounds.Activation, $"{nameof(Quantization)}.{nameof(QuantizationOptions.ImageBits)}");
    }
}
