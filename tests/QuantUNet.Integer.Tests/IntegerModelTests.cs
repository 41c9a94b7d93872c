namespace QuantUNet.Integer.Tests;

[TestClass]
public sealed class IntegerModelTests
{
    [TestMethod]
    public void TheOverflowGuardRefusesALayerWhoseWorstCaseExceedsInt32()
    {
        // 8-bit inputs (255) x 8-bit weights (127) x 9 x 8000 inputs = 2.3e9 > 2^31 - 1.
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SingleLayer(inputs: 8000, activationBits: 8, weight: 127));
        StringAssert.Contains(error.Message, "layer wide: output channel 0 could overflow");
        StringAssert.Contains(error.Message, "[0, 2331720000]");
        StringAssert.Contains(error.Message, "int32");
        // The same layer with 7-bit inputs stays inside int32 and is accepted.
        Assert.AreEqual(8000, SingleLayer(inputs: 8000, activationBits: 7, weight: 127).Layers[0].InputChannels);
    }

    [TestMethod]
    public void TheOverflowGuardCountsTheBiasAndNegativeWeights()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SingleLayer(inputs: 1, activationBits: 8, weight: -127, bias: int.MinValue + 100));
        StringAssert.Contains(error.Message, "could overflow");
    }

    [TestMethod]
    public void RefusesGraphsTheEngineCannotRun()
    {
        var model = RandomModels.MiniUNet(1, 4, 4);
        IntegerModel Rewire(int layer, LayerOutput output) => new(model.Header, model.Layers.Select((l, i) => i != layer ? l : Copy(l, [output])).ToList());
        var first = model.Layers[0].Outputs;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Rewire(2, model.Layers[2].Outputs[0] with { ChannelOffset = 4 })).Message, "written twice");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Rewire(0, first[0])).Message, "never written");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Rewire(1, model.Layers[1].Outputs[0] with { Target = 0 })).Message, "only feed a later one");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Rewire(2, model.Layers[2].Outputs[0] with { Pooled = true })).Message, "cannot be pooled");
    }

    private static IntegerModel SingleLayer(int inputs, int activationBits, int weight, int bias = 0) => new(
        new IntegerModelHeader(inputs, PixelNormalization.UnitRange),
        [new IntegerLayer
        {
            Name = "wide", Kind = LayerKind.Conv3x3, InputChannels = inputs, OutputChannels = 1, WeightBits = 8, ActivationBits = activationBits,
            InputScale = 1, WeightScales = [1], Weights = Enumerable.Repeat((sbyte)weight, inputs * 9).ToArray(), Biases = [bias],
        }]);

    private static IntegerLayer Copy(IntegerLayer layer, IReadOnlyList<LayerOutput> outputs) => new()
    {
        Name = layer.Name, Kind = layer.Kind, InputChannels = layer.InputChannels, OutputChannels = layer.OutputChannels,
        WeightBits = layer.WeightBits, ActivationBits = layer.ActivationBits, InputScale = layer.InputScale,
        WeightScales = layer.WeightScales, Weights = layer.Weights, Biases = layer.Biases, Outputs = outputs,
    };
}
