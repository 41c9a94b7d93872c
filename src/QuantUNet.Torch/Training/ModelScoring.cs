using QuantUNet.Data;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>
/// Runs a model over a set of images in batches, in eval mode and without gradients: training's validation and the
/// export diagnostics. Users' scoring goes through QuantUNet.MLNet's SegmentationScorer, image by image.
/// </summary>
public static class ModelScoring
{
    /// <summary>Logits [N, 1, H, W] for images [N, C, H, W].</summary>
    public static Tensor Logits(QuantUNetModel model, Tensor images, int batchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var parts = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(batchSize, images.shape[0] - start);
                parts.Add(model.forward(images.narrow(0, start, length)).MoveToOuterDisposeScope());
            }
            var all = cat(parts, 0);
            foreach (var part in parts) part.Dispose();
            return all;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Pooled confusion counts of masks decided as logit &gt; 0 against 0/1 truth masks.</summary>
    public static ConfusionCounts Counts(Tensor logits, Tensor masks)
    {
        using var scope = NewDisposeScope();
        var predicted = logits.Above(0);
        var truth = masks.Above(0.5);
        long tp = (predicted & truth).sum().item<long>();
        long fp = (predicted & ~truth).sum().item<long>();
        long fn = (~predicted & truth).sum().item<long>();
        return new ConfusionCounts(tp, fp, masks.numel() - tp - fp - fn, fn);
    }
}
