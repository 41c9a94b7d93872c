namespace QuantUNet.Onnx;

/// <summary>The input and output of every exported model.</summary>
public static class OnnxTensorNames
{
    /// <summary>Float [N, C, H, W], planar pixels in [0, 1] (any range for a per-image min-max model); H and W multiples of the model's size multiple.</summary>
    public const string Image = "image";

    /// <summary>Float [N, 1, H, W]; a pixel is foreground when its logit is &gt; 0, its probability is sigmoid(logit).</summary>
    public const string Logits = "logits";
}
