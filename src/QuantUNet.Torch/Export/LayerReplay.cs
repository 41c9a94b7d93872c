using QuantUNet.Torch.Model;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Export;

/// <summary>
/// Runs a QuantU-Net through the plan its forward pass executes and keeps every layer's input and output: what a
/// diagnostic needs, since the model calls its layers directly and module hooks never fire. Its last output equals
/// the model's forward output bit for bit (the export tests check this).
/// </summary>
public static class LayerReplay
{
    /// <returns>Each layer's input (before its quantizer) and output (its float accumulator), in layer order; the caller disposes them.</returns>
    public static (Tensor[] Inputs, Tensor[] Outputs) Run(QuantUNetModel model, Tensor images)
    {
        var inputs = new Tensor[model.Layers.Count];
        var outputs = new Tensor[model.Layers.Count];
        Replay(model, model.Normalize(images), outputs, i => inputs[i], (i, input) => inputs[i] = input);
        return (inputs, outputs);
    }

    /// <summary>
    /// Each layer's input as <paramref name="model"/> computes it when every layer before it runs on
    /// exact codes (those of <paramref name="twin"/>, a <see cref="Float64Twin"/>, on its
    /// <paramref name="exactInputs"/>, dequantized with the model's own steps): the rounding of one layer
    /// step, without what earlier steps passed on.
    /// </summary>
    public static Tensor[] OneStepInputs(QuantUNetModel model, QuantUNetModel twin, Tensor[] exactInputs)
    {
        var type = model.Layers[0].Weight.dtype;
        var inputs = new Tensor[model.Layers.Count];
        var outputs = new Tensor[model.Layers.Count];
        Replay(model, exactInputs[0].to_type(type), outputs,
            i => twin.Layers[i].InputQuantizer.Integers(exactInputs[i]).to_type(type) * Float64Twin.InputStep(model.Layers[i].InputQuantizer, type),
            (i, input) => inputs[i] = input);
        return inputs;
    }

    /// <param name="feed">The tensor layer i runs on, once its input has been composed and recorded.</param>
    /// <param name="record">Receives layer i's composed input.</param>
    /// <param name="model">The model whose wiring is replayed.</param>
    /// <param name="first">The first layer's input.</param>
    /// <param name="outputs">Receives each layer's output.</param>
    private static void Replay(QuantUNetModel model, Tensor first, Tensor[] outputs, Func<int, Tensor> feed, Action<int, Tensor> record)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        model.Execute(first, (i, input) =>
        {
            record(i, input.clone().MoveToOuterDisposeScope());
            return outputs[i] = model.Apply(i, feed(i)).MoveToOuterDisposeScope();
        });
    }
}
