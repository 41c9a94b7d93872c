using System.Globalization;
using QuantUNet.Integer;

namespace QuantUNet.Onnx;

/// <summary>What the QDQ and QONNX exports read from an <see cref="IntegerModel"/> alike.</summary>
internal static class IntegerGraph
{
    public static IReadOnlyList<LayerSpec> Specs(IntegerModel model) =>
        model.Layers.Select(l => new LayerSpec(l.Name, l.Kind, l.Outputs.Select(o => new LayerEdge(o.Target, o.ChannelOffset, o.Pooled)).ToList())).ToList();

    /// <summary>A layer's input step as a float32 scale (the first layer's is 1 / N, the image quantizer's step).</summary>
    public static float InputStep(IntegerModel model, int layer) => (float)model.Layers[layer].InputScale;

    /// <summary>A transposed convolution's codes in ONNX's [Cin, Cout, kH, kW] order (the integer model stores [Cout, Cin, kH, kW]).</summary>
    public static sbyte[] InputMajor(IntegerLayer layer)
    {
        int k = layer.KernelSize, plane = k * k;
        var codes = new sbyte[layer.WeightCount];
        for (int o = 0; o < layer.OutputChannels; o++)
            for (int i = 0; i < layer.InputChannels; i++)
                layer.Weights.AsSpan((o * layer.InputChannels + i) * plane, plane).CopyTo(codes.AsSpan((i * layer.OutputChannels + o) * plane, plane));
        return codes;
    }

    /// <summary>The model's facts as ONNX metadata properties (strings).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(IntegerModel model, string form) => new Dictionary<string, string>
    {
        ["quantunet.form"] = form,
        ["quantunet.normalization"] = model.Header.Normalization.ToString(),
        ["quantunet.sizeMultiple"] = model.SizeMultiple.ToString(CultureInfo.InvariantCulture),
        ["quantunet.scoreScale"] = model.ScoreScale.ToString("R", CultureInfo.InvariantCulture),
        ["quantunet.weightBits"] = string.Join(",", model.Layers.Select(l => l.WeightBits)),
        ["quantunet.activationBits"] = string.Join(",", model.Layers.Select(l => l.ActivationBits)),
        ["quantunet.source"] = model.Metadata.Source,
    };
}
