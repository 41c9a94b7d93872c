using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QuantUNet.Integer.Engine;

/// <summary>
/// Runs one image through the packed layers, a row group at a time: the kernel fills scratch with a
/// group's int32 accumulators, then each consumer requantises them (after 2x2 max-pooling if it is
/// pooled) straight into its own input, at its channel offset; the final layer's go to the logits.
/// </summary>
internal static unsafe class ForwardPass
{
    /// <param name="trace">When given, each layer's accumulators are copied to trace[layer] as [channel][row][column].</param>
    /// <param name="simd">The resolved instruction set the layers were packed for.</param>
    /// <param name="layers">The packed layers, in datapath order.</param>
    /// <param name="workspace">Buffers for the image size, holding the quantized input codes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(SimdPath simd, PackedLayer[] layers, Workspace workspace, int[][]? trace)
    {
        int* scratch = Pinned.Address(workspace.Scratch);
        for (int index = 0; index < layers.Length; index++)
        {
            var layer = layers[index];
            var (height, width) = workspace.GridAt(layer.InputLevel);
            int channels = layer.Source.InputChannels, rowBytes = (width + 2) * channels;
            bool upsampler = layer.Positions == 4, window = layer.Source.Kind == LayerKind.Conv3x3;
            int rows = upsampler ? 1 : Workspace.ScratchRows(layer);
            int scratchRow = Workspace.RoundToGroup(width) * layer.PaddedOutputs;
            byte* input = Pinned.Address(workspace.Inputs[index]);
            var task = new DotTask
            {
                Pixels = width, InputPixelStride = channels, Offsets = Pinned.Address(workspace.Offsets[index]),
                Steps = layer.Steps.Length, FlushInterval = layer.FlushInterval, Bias = Pinned.Address(layer.Bias), Blocks = layer.Blocks,
                OutputPixelStride = layer.Positions * layer.PaddedOutputs,
            };
            for (int y = 0; y < height; y += rows)
            {
                for (int part = 0; part < rows * layer.Positions; part++)
                {
                    // A window's first byte is its top-left pixel (border included); a 1x1 kernel's is the pixel itself.
                    int row = upsampler ? y : y + part;
                    task.Input = input + (window ? row * rowBytes : (row + 1) * rowBytes + channels);
                    task.Weights = Pinned.Address(layer.Weights) + (upsampler ? part * layer.PositionStride : 0);
                    task.Output = scratch + (upsampler ? part * layer.PaddedOutputs : part * scratchRow);
                    Dot(simd, task);
                }
                var grid = new OutputGrid(y, width, scratchRow, layer.PaddedOutputs, upsampler, rows);
                if (trace is not null) Trace(layer, workspace, grid, scratch, trace[index]);
                if (layer.Outputs.Length == 0) WriteLogits(workspace, grid, scratch);
                foreach (var (wiring, requantizer) in layer.Outputs)
                {
                    var destination = new Destination(workspace, layers[wiring.Target], wiring.Target, wiring.ChannelOffset);
                    if (wiring.Pooled) Pool(layer, workspace, requantizer, destination, y, scratchRow);
                    else
                        for (int entry = 0; entry < grid.Count; entry++)
                        {
                            var (outRow, outColumn, offset) = grid[entry];
                            requantizer.Apply(scratch + offset, destination.At(outRow, outColumn), layer.Source.OutputChannels);
                        }
                }
            }
        }
    }

    private static void Dot(SimdPath simd, in DotTask task)
    {
        switch (simd)
        {
            case SimdPath.Avx512: DotKernel.Run<Avx512Lanes, Vector512<int>>(task); break;
            case SimdPath.Avx2: DotKernel.Run<Avx2Lanes, Vector256<int>>(task); break;
            default: DotKernel.Run<ScalarLanes, int>(task); break;
        }
    }

    /// <summary>2x2 max-pooling of the two scratch rows, then requantisation: the two commute (requantisation is monotonic).</summary>
    private static void Pool(PackedLayer layer, Workspace workspace, Requantizer requantizer, Destination destination, int y, int scratchRow)
    {
        int channels = layer.Source.OutputChannels, stride = layer.PaddedOutputs, width = workspace.GridAt(layer.OutputLevel).Width;
        int* scratch = Pinned.Address(workspace.Scratch), pooled = Pinned.Address(workspace.Pooled);
        for (int x = 0; x < width / 2; x++)
        {
            int* topLeft = scratch + 2 * x * stride, topRight = topLeft + stride, bottomLeft = topLeft + scratchRow, bottomRight = bottomLeft + stride;
            int c = 0;
            for (; c + Vector256<int>.Count <= channels; c += Vector256<int>.Count)
                Vector256.Max(Vector256.Max(Vector256.Load(topLeft + c), Vector256.Load(topRight + c)), Vector256.Max(Vector256.Load(bottomLeft + c), Vector256.Load(bottomRight + c))).Store(pooled + c);
            for (; c < channels; c++)
                pooled[c] = Math.Max(Math.Max(topLeft[c], topRight[c]), Math.Max(bottomLeft[c], bottomRight[c]));
            requantizer.Apply(pooled, destination.At(y / 2, x), channels);
        }
    }

    private static void WriteLogits(Workspace workspace, OutputGrid grid, int* scratch)
    {
        for (int entry = 0; entry < grid.Count; entry++)
        {
            var (row, column, offset) = grid[entry];
            workspace.Logits[row * workspace.Width + column] = scratch[offset];
        }
    }

    private static void Trace(PackedLayer layer, Workspace workspace, OutputGrid grid, int* scratch, int[] trace)
    {
        var (height, width) = workspace.GridAt(layer.OutputLevel);
        for (int entry = 0; entry < grid.Count; entry++)
        {
            var (row, column, offset) = grid[entry];
            for (int c = 0; c < layer.Source.OutputChannels; c++) trace[(c * height + row) * width + column] = scratch[offset + c];
        }
    }

    /// <summary>A consumer's input: its bordered channels-last codes, and where this producer's channels start.</summary>
    private readonly struct Destination(Workspace workspace, PackedLayer target, int targetIndex, int channelOffset)
    {
        private readonly byte* codes = Pinned.Address(workspace.Inputs[targetIndex]) + channelOffset;
        private readonly int rowPixels = workspace.GridAt(target.InputLevel).Width + 2;
        private readonly int channels = target.Source.InputChannels;

        public byte* At(int row, int column) => codes + ((row + 1) * rowPixels + column + 1) * channels;
    }
}
