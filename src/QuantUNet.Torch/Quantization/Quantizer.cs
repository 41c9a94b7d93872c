using TorchSharp;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Quantization;

/// <summary>
/// A quantizer composed of Brevitas' three parts: a learned bitwidth, a threshold (from the
/// subclass: the scaling part) and the <see cref="IntQuant"/> op over an <see cref="IntegerRange"/>.
/// </summary>
public abstract class Quantizer : nn.Module<Tensor, Tensor>
{
    private readonly LearnedBitwidth bits;

    /// <remarks>Subclasses call <c>RegisterComponents()</c> once their own parts exist.</remarks>
    protected Quantizer(string name, BitwidthOptions bitwidth) : base(name)
    {
        bits = bitwidth.Create("bits");
    }

    /// <summary>The integer codes this quantizer produces: unsigned or signed narrow range.</summary>
    public abstract IntegerRange Range { get; }
    /// <summary>The quantizer's learned bitwidth.</summary>
    public LearnedBitwidth Bitwidth => bits;

    /// <summary>The dequantized tensor the float graph continues with.</summary>
    public override Tensor forward(Tensor x) => FakeQuantize(x).Value;

    /// <summary>The dequantized tensor and its step (broadcastable against x).</summary>
    /// <remarks>In a dispose scope of its own, so that no intermediate tensor is freed while libtorch reads it (see ScalarArguments).</remarks>
    public (Tensor Value, Tensor Scale) FakeQuantize(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (value, scale) = FakeQuantize(x, QuantizerWidth.Of(this));
        return (value.MoveToOuterDisposeScope(), scale.MoveToOuterDisposeScope());
    }

    /// <summary>The dequantized tensor and its step at a width computed beforehand (<see cref="QuantizerWidth.Of(IReadOnlyList{Quantizer})"/>).</summary>
    internal (Tensor Value, Tensor Scale) FakeQuantize(Tensor x, QuantizerWidth width)
    {
        using var scope = NewDisposeScope();
        var scale = Threshold(x) / width.Bound;
        var value = IntQuant.FakeQuantize(x, scale, Range.Min(width.Bits), width.Bound, Range, width.Current);
        return (value.MoveToOuterDisposeScope(), scale.MoveToOuterDisposeScope());
    }

    /// <summary>The integer codes of x at the current width and step (export, tests).</summary>
    public Tensor Integers(Tensor x)
    {
        using var _ = no_grad();
        var (_, scale) = FakeQuantize(x);
        return IntQuant.Integers(x, scale, Range, bits.Current);
    }

    /// <summary>
    /// The step T / N(b) of x, per channel, divided in float64 from the threshold's own value (export: the
    /// integer model's scales). Call in eval mode, where finding the threshold changes nothing.
    /// </summary>
    public double[] Float64Steps(Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double n = Range.Bounds(bits.Current).Max;
        return Threshold(x).detach().to_type(ScalarType.Float64).DividedBy(n).flatten().data<double>().ToArray();
    }

    /// <summary>The threshold T for x: the float value the largest code stands for.</summary>
    protected abstract Tensor Threshold(Tensor x);
}
