namespace QuantUNet.Integer.Engine;

/// <summary>
/// A layer laid out for <see cref="DotKernel"/> on one instruction set. Activations are stored
/// channels-last with a one-pixel zero border, so the 3x3 window of an output pixel is three runs of
/// 3 * C_in contiguous bytes, one per kernel row: a "step" reads 4 of those bytes. Weights are
/// repacked to [kernel position (upsampler) or 1][channel block][step][lane][4 bytes], zero beyond
/// the run. When 8-bit inputs meet 8-bit weights a u8 x s8 pair could exceed 16 bits, so each weight is
/// split in two halves of at most 64 and every step is taken twice.
/// </summary>
internal sealed class PackedLayer
{
    private const int MaxPartial = short.MaxValue;

    public PackedLayer(IntegerModel model, int index, int lanes)
    {
        var layer = model.Layers[index];
        Source = layer;
        InputLevel = model.InputLevel(index);
        OutputLevel = InputLevel - layer.Kind.UpsamplingLevels();
        Lanes = lanes;
        Blocks = (layer.OutputChannels + lanes - 1) / lanes;
        PaddedOutputs = Blocks * lanes;
        Positions = layer.Kind == LayerKind.ConvTranspose2x2 ? 4 : 1;

        int maxWeight = layer.Weights.Length == 0 ? 0 : layer.Weights.Max(w => Math.Abs((int)w));
        bool split = lanes > 1 && 2L * layer.MaxActivation * maxWeight > MaxPartial;
        int packedMax = split ? (maxWeight + 1) / 2 : maxWeight;
        FlushInterval = lanes == 1 || packedMax == 0 ? int.MaxValue : Math.Max(1, MaxPartial / (2 * layer.MaxActivation * packedMax));

        int rows = layer.Kind == LayerKind.Conv3x3 ? 3 : 1;
        int runLength = layer.Kind == LayerKind.Conv3x3 ? 3 * layer.InputChannels : layer.InputChannels;
        Steps = (from row in Enumerable.Range(0, rows)
                 from start in Enumerable.Range(0, (runLength + 3) / 4)
                 from half in Enumerable.Range(0, split ? 2 : 1)
                 select (row, start * 4, half)).ToArray();
        Weights = Pack(layer, runLength, split);
        Bias = Pinned.Allocate<int>(PaddedOutputs);
        layer.Biases.CopyTo(Bias, 0);
        Outputs = layer.Outputs.Select(o => (o, new Requantizer(o.Multipliers, model.Layers[o.Target].ActivationBits))).ToArray();
    }

    public IntegerLayer Source { get; }

    /// <summary>Halvings of the image grid at the layer's input and output.</summary>
    public int InputLevel { get; }
    public int OutputLevel { get; }

    public int Lanes { get; }
    public int Blocks { get; }

    /// <summary>Output channels rounded up to whole blocks: the stride of a pixel's accumulators.</summary>
    public int PaddedOutputs { get; }

    /// <summary>Kernel positions computed as separate products: 4 for the upsampler, else 1.</summary>
    public int Positions { get; }

    public int FlushInterval { get; }

    /// <summary>Each step's kernel row, first byte within the row's run, and weight half (0, or 1 when split).</summary>
    public (int Row, int Byte, int Half)[] Steps { get; }

    public sbyte[] Weights { get; }
    public int[] Bias { get; }
    public (LayerOutput Wiring, Requantizer Requantizer)[] Outputs { get; }

    public bool HasPooledOutput => Outputs.Any(o => o.Wiring.Pooled);

    /// <summary>Bytes of weights per kernel position.</summary>
    public int PositionStride => Blocks * Steps.Length * Lanes * 4;

    /// <summary>The byte offset of each step from a pixel's first input byte, for rows of <paramref name="rowStride"/> bytes.</summary>
    public int[] StepOffsets(int rowStride) => Steps.Select(s => s.Row * rowStride + s.Byte).ToArray();

    private sbyte[] Pack(IntegerLayer layer, int runLength, bool split)
    {
        var packed = Pinned.Allocate<sbyte>(Positions * PositionStride);
        int c = layer.InputChannels, index = 0;
        for (int position = 0; position < Positions; position++)
            for (int block = 0; block < Blocks; block++)
                foreach (var (row, first, half) in Steps)
                    for (int lane = 0; lane < Lanes; lane++)
                        for (int i = 0; i < 4; i++, index++)
                        {
                            int output = block * Lanes + lane, b = first + i;
                            if (output >= layer.OutputChannels || b >= runLength) continue;
                            int w = layer.Kind switch
                            {
                                LayerKind.Conv3x3 => layer.Weight(output, b % c, row, b / c),
                                LayerKind.ConvTranspose2x2 => layer.Weight(output, b, position / 2, position % 2),
                                _ => layer.Weight(output, b, 0, 0),
                            };
                            packed[index] = (sbyte)(!split ? w : half == 0 ? w - w / 2 : w / 2);
                        }
        return packed;
    }
}
