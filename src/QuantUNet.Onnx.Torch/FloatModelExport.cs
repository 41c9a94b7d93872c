using Onnx;
using QuantUNet.Integer;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Onnx.Torch;

/// <summary>
/// The float network of a <see cref="QuantUNetModel"/> (its weights with quantization off, as
/// <c>SegmentationTrainer.FloatTwin</c> runs it) as a <see cref="FloatUNet"/> and as ONNX.
/// </summary>
public static class FloatModelExport
{
    /// <summary>The float ONNX model (<see cref="FloatOnnxExporter"/>).</summary>
    public static ModelProto Export(QuantUNetModel model) => FloatOnnxExporter.Export(From(model));

    /// <summary>Each layer's float weights and biases, wired as <see cref="QuantUNetModel.forward"/> wires them.</summary>
    public static FloatUNet From(QuantUNetModel model)
    {
        var layers = model.Layers.Select((layer, index) =>
        {
            using var scope = NewDisposeScope();
            // In eval mode a layer with a BatchNorm is the convolution with the BatchNorm folded in.
            var (weight, bias) = layer.FoldedFloatWeights();
            int outputAxis = layer.WeightQuantizer.OutputChannelAxis;
            return new FloatLayer(layer.GetName(), layer.Kind, (int)weight.shape[1 - outputAxis], (int)weight.shape[outputAxis],
                Values(weight), Values(bias),
                model.Plan.Nodes[index].Outputs.Select(e => new LayerEdge(e.Target, e.ChannelOffset, e.Pooled)).ToList());
        }).ToList();
        return new FloatUNet(model.Options.InputChannels, model.Options.Normalization, layers);
    }

    private static float[] Values(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
