using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace QuantUNet.Onnx.Tests;

/// <summary>Scores an exported model with ONNX Runtime's C# API, as a user of the file would.</summary>
internal static class OnnxRuntimeScoring
{
    /// <summary>
    /// A session that logs errors only (constant folding makes ONNX Runtime warn about every folded
    /// initializer). Fused: all graph optimisations, as ONNX Runtime and ML.NET run by default (QDQ
    /// groups become integer kernels); not fused: basic optimisations only, so every DequantizeLinear
    /// and float convolution runs as the graph states it.
    /// </summary>
    public static InferenceSession Session(ModelProto model, bool fused = true) =>
        new(model.ToByteArray(), new SessionOptions
        {
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            GraphOptimizationLevel = fused ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_ENABLE_BASIC,
        });

    public static float[] Logits(ModelProto model, float[] images, int count, int channels, int height, int width, bool fused = true)
    {
        using var session = Session(model, fused);
        return Logits(session, images, count, channels, height, width);
    }

    /// <summary>The logits [count, 1, height, width] of planar images stored back to back.</summary>
    public static float[] Logits(InferenceSession session, float[] images, int count, int channels, int height, int width)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(images, [count, channels, height, width]);
        using var outputs = session.Run(new RunOptions(), [OnnxTensorNames.Image], [input], [OnnxTensorNames.Logits]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
