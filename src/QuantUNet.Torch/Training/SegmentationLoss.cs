using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>The task part of the loss: binary cross-entropy plus soft Dice, both on logits.</summary>
public static class SegmentationLoss
{
    /// <summary>Mean pixel-wise BCE over the batch.</summary>
    public static Tensor BinaryCrossEntropy(Tensor logits, Tensor masks) =>
        nn.functional.binary_cross_entropy_with_logits(logits, masks);

    /// <summary>
    /// 1 - soft Dice pooled over the whole batch, with a smoothing of 1 in numerator and denominator.
    /// Pooling keeps the gradient steady when lesions are a few pixels; the smoothing makes a batch
    /// whose masks and predictions are all empty score Dice 1 (loss 0), not 0/0.
    /// </summary>
    public static Tensor SoftDice(Tensor logits, Tensor masks, double smooth = 1.0)
    {
        using var scope = NewDisposeScope();
        var probabilities = sigmoid(logits);
        var intersection = (probabilities * masks).sum();
        var total = probabilities.sum().Plus(masks.sum());
        return intersection.Times(2).Plus(smooth).div(total.Plus(smooth)).SubtractedFrom(1).MoveToOuterDisposeScope();
    }
}
