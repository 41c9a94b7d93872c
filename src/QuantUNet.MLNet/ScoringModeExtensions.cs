using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet;

/// <summary>Choosing the scoring mode of a whole model, such as the <see cref="TransformerChain{TLastTransformer}"/> <c>mlContext.Model.Load</c> returns.</summary>
public static class ScoringModeExtensions
{
    /// <summary>
    /// <paramref name="model"/> with every QuantU-Net transformer in it, at any depth of nested chains, scoring in
    /// <paramref name="mode"/> (<see cref="QuantUNetTransformer.WithScoringMode"/>); the other transformers are kept as
    /// they are, in order, and <paramref name="model"/> is unchanged. A chain comes back as a
    /// <see cref="TransformerChain{TLastTransformer}"/> of <see cref="ITransformer"/> whose transformers all apply at scoring.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="model"/> holds no QuantU-Net transformer.</exception>
    /// <exception cref="InvalidOperationException">The model cannot score in <paramref name="mode"/> (the message says why).</exception>
    public static ITransformer WithScoringMode(this ITransformer model, ScoringMode mode)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool found = false;
        var result = Replace(model, mode, ref found);
        return found ? result : throw new ArgumentException(
            $"The model ({model.GetType().Name}) holds no QuantU-Net transformer whose scoring mode could be chosen.", nameof(model));
    }

    private static ITransformer Replace(ITransformer model, ScoringMode mode, ref bool found)
    {
        switch (model)
        {
            case QuantUNetTransformer segmentation:
                found = true;
                return segmentation.WithScoringMode(mode);
            case IEnumerable<ITransformer> chain:
                var parts = new List<ITransformer>();
                foreach (var part in chain)
                    parts.Add(Replace(part, mode, ref found));
                return new TransformerChain<ITransformer>([.. parts]);
            default:
                return model;
        }
    }
}
