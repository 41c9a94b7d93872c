using Microsoft.ML.OnnxRuntime;
using QuantUNet.Onnx;

namespace QuantUNet.Cli.Bench;

/// <summary>
/// An exported ONNX model in ONNX Runtime (CPU, all graph optimisations, <c>threads</c> intra-op threads),
/// scoring float [0, 1] images in batches as TorchSharp does in the benchmark.
/// </summary>
internal sealed class OnnxScorer(byte[] model, int threads) : IDisposable
{
    private readonly InferenceSession session = new(model, new SessionOptions
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    });

    /// <summary>The logits of <paramref name="count"/> planar images stored back to back, <paramref name="batch"/> per run.</summary>
    public float[] Logits(float[] images, int count, int channels, int height, int width, int batch)
    {
        int image = channels * height * width, plane = height * width;
        var logits = new float[count * plane];
        for (int first = 0; first < count; first += batch)
        {
            int n = Math.Min(batch, count - first);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, images.AsMemory(first * image, n * image), [n, channels, height, width]);
            using var outputs = session.Run(new RunOptions(), [OnnxTensorNames.Image], [input], [OnnxTensorNames.Logits]);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(logits.AsSpan(first * plane, n * plane));
        }
        return logits;
    }

    public void Dispose() => session.Dispose();
}
