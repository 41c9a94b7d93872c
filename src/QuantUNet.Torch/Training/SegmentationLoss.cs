using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>The task part of the loss: binary cross-entropy plus soft Dice, both on logits.</summary>
public static class SegmentationLoss
{
    /// <summary>Mean pixel-wise BCE over the batch.</summary>
    public static Tensor BinaryCrossEntropy(Tensor logits, Tensor masks) =>
        nn.functional.binary_cross_entropy_with_logits(logits, masks);

    /// <summary>
    /// 1 - soft Dice, per image then averaged, with a smoothing of 1 in numerator and denominator:
    /// an image whose mask and prediction are both empty scores Dice 1 (loss 0), not 0/0.
    /// </summary>
    public static Tensor SoftDice(Tensor logits, Tensor masks, double smooth = 1.0)
    {
        var probabilities = sigmoid(logits).flatten(1);
        var truth = masks.flatten(1);
        var intersection = (probabilities * truth).sum(1);
        var total = probabilities.sum(1) + truth.sum(1);
        return (1 - (2 * intersection + smooth) / (total + smooth)).mean();
    }
}
