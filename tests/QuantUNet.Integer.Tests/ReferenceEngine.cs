namespace QuantUNet.Integer.Tests;

/// <summary>
/// The integer model evaluated the plain way: planar [channel][row][column] arrays, a loop per sum,
/// zero padding by bounds checks, big-integer rounding, and pooling applied to codes after
/// requantisation (the engine pools accumulators first; the two must agree).
/// </summary>
internal static class ReferenceEngine
{
    /// <summary>Every layer's accumulators, [channel][row][column] at its output grid.</summary>
    public static int[][] Run(IntegerModel model, byte[] pixels, int height, int width)
    {
        var layers = model.Layers;
        var levels = new int[layers.Count];
        var inputs = new byte[layers.Count][];
        inputs[0] = ImageCodes(model, pixels, height, width);
        var results = new int[layers.Count][];
        for (int index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            int h = height >> levels[index], w = width >> levels[index];
            bool up = layer.Kind == LayerKind.ConvTranspose2x2;
            int outH = up ? 2 * h : h, outW = up ? 2 * w : w;
            var accumulators = Accumulate(layer, inputs[index], h, w);
            results[index] = accumulators;
            foreach (var output in layer.Outputs)
            {
                var target = layers[output.Target];
                levels[output.Target] = levels[index] - (up ? 1 : 0) + (output.Pooled ? 1 : 0);
                int th = height >> levels[output.Target], tw = width >> levels[output.Target];
                inputs[output.Target] ??= new byte[target.InputChannels * th * tw];
                for (int c = 0; c < layer.OutputChannels; c++)
                    for (int y = 0; y < th; y++)
                        for (int x = 0; x < tw; x++)
                        {
                            int Code(int yy, int xx) => ExactRounding.Requantize(accumulators[(c * outH + yy) * outW + xx], output.Multipliers[c], target.MaxActivation);
                            int code = output.Pooled
                                ? Math.Max(Math.Max(Code(2 * y, 2 * x), Code(2 * y, 2 * x + 1)), Math.Max(Code(2 * y + 1, 2 * x), Code(2 * y + 1, 2 * x + 1)))
                                : Code(y, x);
                            inputs[output.Target][((output.ChannelOffset + c) * th + y) * tw + x] = (byte)code;
                        }
            }
        }
        return results;
    }

    /// <summary>The input quantizer on 8-bit pixels: round_half_even((p - low) * N / range) with low 0 and range 255 for unit range.</summary>
    public static byte[] ImageCodes(IntegerModel model, byte[] pixels, int height, int width)
    {
        int plane = height * width, n = (1 << model.InputBits) - 1;
        var codes = new byte[pixels.Length];
        for (int c = 0; c < model.Header.InputChannels; c++)
        {
            var channel = pixels.AsSpan(c * plane, plane);
            int low = 0, range = 255;
            if (model.Header.Normalization == PixelNormalization.PerImageMinMax)
            {
                low = channel.ToArray().Min();
                range = channel.ToArray().Max() - low;
            }
            for (int i = 0; i < plane; i++)
                codes[c * plane + i] = range == 0 ? (byte)0 : (byte)ExactRounding.Divide((channel[i] - low) * n, range);
        }
        return codes;
    }

    private static int[] Accumulate(IntegerLayer layer, byte[] input, int h, int w)
    {
        bool up = layer.Kind == LayerKind.ConvTranspose2x2;
        int k = layer.KernelSize, pad = layer.Kind == LayerKind.Conv3x3 ? 1 : 0;
        int outH = up ? 2 * h : h, outW = up ? 2 * w : w;
        var output = new int[layer.OutputChannels * outH * outW];
        for (int o = 0; o < layer.OutputChannels; o++)
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                {
                    long sum = layer.Biases[o];
                    for (int i = 0; i < layer.InputChannels; i++)
                        if (up)
                            sum += input[(i * h + y / 2) * w + x / 2] * layer.Weight(o, i, y % 2, x % 2);
                        else
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int yy = y + ky - pad, xx = x + kx - pad;
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < w) sum += input[(i * h + yy) * w + xx] * layer.Weight(o, i, ky, kx);
                                }
                    output[(o * outH + y) * outW + x] = checked((int)sum);
                }
        return output;
    }
}
