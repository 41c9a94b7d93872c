using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Torch.Model;
using QuantUNet.Torch.Training;
using static TorchSharp.torch;

namespace QuantUNet.Cli.Commands;

/// <summary>Scores batches of same-size images to 0/1 masks with the integer engine or TorchSharp.</summary>
internal sealed class MaskScorer : IDisposable
{
    /// <summary>Images TorchSharp runs at once; also the batch the commands read and score.</summary>
    public const int Batch = 8;

    private readonly Action<float[], int, int, int, byte[]> _predict;
    private readonly IDisposable? _owned;

    private MaskScorer(Action<float[], int, int, int, byte[]> predict, IDisposable? owned = null)
    {
        _predict = predict;
        _owned = owned;
    }

    /// <summary>The integer engine; images are quantized from their float pixels, as the trained model does.</summary>
    public static MaskScorer Integer(IntegerModel model, int threads)
    {
        var engine = new IntegerEngine(model, new IntegerEngineOptions { Threads = threads });
        return new((images, count, height, width, masks) => engine.PredictBatch(images, count, height, width, masks));
    }

    /// <summary>TorchSharp, masks at logit &gt; 0; <paramref name="unquantized"/> runs a QuantU-Net's weights in a float twin.</summary>
    public static MaskScorer Torch(QuantUNetModel model, bool unquantized)
    {
        var floatTwin = unquantized && model.Quantize ? SegmentationTrainer.FloatTwin(model) : null;
        var scorer = floatTwin ?? model;
        return new((images, count, height, width, masks) =>
        {
            using var scope = NewDisposeScope();
            var input = tensor(images, [count, images.Length / (count * height * width), height, width]);
            (ModelScoring.Logits(scorer, input, Batch) > 0).to(ScalarType.Byte).data<byte>().CopyTo(masks, 0);
        }, floatTwin);
    }

    /// <summary>Masks [count, H, W] (0/1) of images [count, C, H, W], planar and back to back.</summary>
    public byte[] Masks(float[] images, int count, int height, int width)
    {
        var masks = new byte[count * height * width];
        _predict(images, count, height, width, masks);
        return masks;
    }

    /// <summary>Masks of same-size samples, back to back.</summary>
    public byte[] Masks(IReadOnlyList<SegmentationSample> samples) =>
        Masks(samples.SelectMany(s => s.Image).ToArray(), samples.Count, samples[0].Height, samples[0].Width);

    /// <summary>Scores <paramref name="samples"/> (same size) batch by batch against their masks, calling <paramref name="scored"/> with each batch's count.</summary>
    public SegmentationScores Score(IReadOnlyList<SegmentationSample> samples, Action<int>? scored = null)
    {
        var evaluator = new SegmentationEvaluator();
        foreach (var batch in samples.Chunk(Batch))
        {
            evaluator.Add(Masks(batch), batch);
            scored?.Invoke(batch.Length);
        }
        return evaluator.GetScores();
    }

    public void Dispose() => _owned?.Dispose();
}
