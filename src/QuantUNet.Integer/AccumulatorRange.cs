namespace QuantUNet.Integer;

/// <summary>
/// The exact worst-case range of one output channel's accumulator: bias plus every product at its
/// extreme, with inputs anywhere in [0, 2^b_a - 1]. Inputs are unsigned, so the maximum takes the
/// largest code on every positive weight and the minimum on every negative one.
/// </summary>
public readonly record struct AccumulatorRange(long Min, long Max)
{
    /// <summary>True when every value in [Min, Max] fits an int32 accumulator, as the engine requires.</summary>
    public bool FitsInt32 => Min >= int.MinValue && Max <= int.MaxValue;

    /// <summary>
    /// The range of each output channel. A transposed convolution's output pixel sees one kernel
    /// position only, so its range is the widest over the four positions.
    /// </summary>
    public static AccumulatorRange[] Of(IntegerLayer layer)
    {
        int k = layer.KernelSize;
        bool perPosition = layer.Kind == LayerKind.ConvTranspose2x2;
        var ranges = new AccumulatorRange[layer.OutputChannels];
        for (int output = 0; output < layer.OutputChannels; output++)
        {
            long min = long.MaxValue, max = long.MinValue;
            var groups = perPosition ? Enumerable.Range(0, k * k).Select(p => (p / k, p % k, p / k + 1, p % k + 1)) : [(0, 0, k, k)];
            foreach (var (row0, column0, row1, column1) in groups)
            {
                long positive = 0, negative = 0;
                for (int input = 0; input < layer.InputChannels; input++)
                    for (int row = row0; row < row1; row++)
                        for (int column = column0; column < column1; column++)
                        {
                            int w = layer.Weight(output, input, row, column);
                            if (w > 0) positive += w; else negative += w;
                        }
                long bias = layer.Biases[output];
                min = Math.Min(min, bias + negative * layer.MaxActivation);
                max = Math.Max(max, bias + positive * layer.MaxActivation);
            }
            ranges[output] = new AccumulatorRange(min, max);
        }
        return ranges;
    }
}
