namespace QuantUNet.Integer.Engine;

/// <summary>
/// Everything one image needs while it runs, for one image size: each layer's input codes (channels
/// last, zero border: the border is never written, so it stays the convolution's zero padding), the
/// step offsets for those row lengths, accumulator scratch and the logits. One per thread, reused from
/// image to image, so scoring allocates nothing once warm.
/// </summary>
internal sealed class Workspace
{
    public Workspace(IReadOnlyList<PackedLayer> layers, int channels, int height, int width)
    {
        Height = height;
        Width = width;
        Inputs = layers.Select(l =>
        {
            var (h, w) = GridAt(l.InputLevel);
            int c = l.Source.InputChannels;
            // Slack: the last pixel group of the last row may read a few bytes past the bottom border.
            return Pinned.Allocate<byte>((h + 2) * (w + 2) * c + 4 * c + 16);
        }).ToArray();
        Offsets = layers.Select(l => Pinned.Copy(l.StepOffsets((GridAt(l.InputLevel).Width + 2) * l.Source.InputChannels))).ToArray();
        Scratch = Pinned.Allocate<int>(layers.Max(l => ScratchRows(l) * RoundToGroup(GridAt(l.InputLevel).Width) * l.PaddedOutputs));
        Pooled = Pinned.Allocate<int>(layers.Max(l => l.Source.OutputChannels));
        Logits = Pinned.Allocate<int>(height * width);
        CroppedLogits = Pinned.Allocate<int>(height * width);
        Lookup = Pinned.Allocate<byte>(256 * channels);
    }

    public int Height { get; }
    public int Width { get; }

    /// <summary>Each layer's input codes, [row + 1][column + 1][channel] with a zero border.</summary>
    public byte[][] Inputs { get; }

    public int[][] Offsets { get; }

    /// <summary>A row group's accumulators: [row][pixel][padded channel], or [pixel][kernel position][padded channel] for the upsampler.</summary>
    public int[] Scratch { get; }

    /// <summary>One pooled pixel's accumulators.</summary>
    public int[] Pooled { get; }

    /// <summary>The final layer's accumulators, row-major.</summary>
    public int[] Logits { get; }

    /// <summary>The logits cropped to the image's own size when it was padded (<see cref="ImagePadding"/>); as long as <see cref="Logits"/>.</summary>
    public int[] CroppedLogits { get; }

    /// <summary>Pixel-to-code tables of the input quantizer, one per image channel.</summary>
    public byte[] Lookup { get; }

    public (int Height, int Width) GridAt(int level) => (Height >> level, Width >> level);

    /// <summary>Rows computed together: two when a pooled consumer needs both rows of each 2x2 window.</summary>
    public static int ScratchRows(PackedLayer layer) => layer.Positions * (layer.HasPooledOutput ? 2 : 1);

    public static int RoundToGroup(int pixels) => (pixels + DotKernel.PixelGroup - 1) / DotKernel.PixelGroup * DotKernel.PixelGroup;
}
