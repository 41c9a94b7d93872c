using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using QuantUNet.Integer.Format;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// A trained QuantU-Net in an ML.NET pipeline. <see cref="Transform"/> adds <c>Score</c> (Vector&lt;Single&gt; [H, W],
/// foreground probabilities), <c>PredictedLabel</c> (Vector&lt;Boolean&gt; [H, W]) and, when the trainer was asked for
/// one, the predicted mask as an image column for saving PNGs. Scoring is lazy and batched, a PredictionEngine scores
/// one image at a time, and <c>mlContext.Model.Save</c> stores the model package inside the model zip.
/// </summary>
public sealed class QuantUNetTransformer : ITransformer, IDisposable
{
    private readonly object _gate = new();
    private LoadedScorer? _scorer;

    internal QuantUNetTransformer(SegmentationModel model) => Model = model;

    internal SegmentationModel Model { get; }

    internal TransformerOptions Settings => Model.Settings;

    /// <summary>Whether a scoring engine is loaded now.</summary>
    internal bool HasScorer => _scorer is not null;

    /// <summary>The trained model this transformer scores, as one file saves it (<see cref="ModelPackage.Save(string)"/>).</summary>
    public ModelPackage Package => Model.Package;

    /// <summary>The architecture, image size, learned per-layer widths and what they mean for the model's size.</summary>
    public ModelDescription Description => Model.Description;

    /// <summary>The input column: an MLImage of the model's size, or a float vector [C, H, W] in [0, 1] (a flat one is read as
    /// [<see cref="ImageChannels"/>, <see cref="ImageHeight"/>, <see cref="ImageWidth"/>]). Any size the model was trained at
    /// scores, multiple of 16 or not: the image is padded for the network and the outputs cropped back to its size.</summary>
    public string ImageColumnName => Settings.Columns.Image;

    /// <summary>The output column of foreground probabilities, Vector&lt;Single&gt; [H, W].</summary>
    public string ScoreColumnName => Settings.Columns.Score;

    /// <summary>The output column of the predicted mask, Vector&lt;Boolean&gt; [H, W] (logit above 0).</summary>
    public string PredictedLabelColumnName => Settings.Columns.PredictedLabel;

    /// <summary>The column holding the predicted mask as an image, or null when the transformer adds none.</summary>
    public string? PredictedMaskImageColumnName => Settings.Columns.PredictedMaskImage;

    /// <summary>Channels of the images the model reads: planes of a float vector, or how an MLImage is read (1 grey, 3 RGB).</summary>
    public int ImageChannels => Description.ImageChannels;

    /// <summary>Height in pixels of the images the model reads.</summary>
    public int ImageHeight => Description.ImageHeight;

    /// <summary>Width in pixels of the images the model reads.</summary>
    public int ImageWidth => Description.ImageWidth;

    /// <summary>The engine that scores: integer, fake-quantized or float (see <see cref="WithScoringMode"/>).</summary>
    public ScoringMode ScoringMode => Settings.ScoringMode;

    /// <summary>
    /// This model scoring in <paramref name="mode"/>: a new transformer over the same weights (saved with that mode),
    /// this one unchanged. Use it after <c>mlContext.Model.Load</c> to score a quantized model with
    /// <see cref="ScoringMode.Integer"/> in an app that references no TorchSharp.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model cannot score in <paramref name="mode"/> (<see cref="SegmentationScorer.CheckMode"/> says why).</exception>
    public QuantUNetTransformer WithScoringMode(ScoringMode mode)
    {
        SegmentationScorer.CheckMode(Package, mode);
        return new QuantUNetTransformer(Model with { Settings = Settings with { ScoringMode = mode } });
    }

    /// <summary>True when the model holds an integer model, so <see cref="ScoringMode.Integer"/> and <see cref="SaveIntegerModel"/> work.</summary>
    public bool HasIntegerModel => Package.IntegerModel is not null;

    /// <summary>
    /// Writes the integer model inside this transformer to <paramref name="path"/> (a <c>.qint</c> file, atomically):
    /// what a device without ML.NET or libtorch runs, with QuantUNet.Integer's <c>IntegerEngine</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is the float baseline or holds no integer model.</exception>
    public void SaveIntegerModel(string path)
    {
        SegmentationScorer.CheckMode(Package, ScoringMode.Integer);
        IntegerModelFile.Save(Package.IntegerModel!, path);
    }

    bool ITransformer.IsRowToRowMapper => true;

    /// <summary>The input schema with the score, predicted-label and optional mask-image columns added.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or not of the model's size and kind (named in the message).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new ScoredSchema(Model, inputSchema).Output;

    /// <summary>Adds the output columns, scored lazily in batches of the transformer's scoring batch size as a cursor reads them.</summary>
    public IDataView Transform(IDataView input) => new ScoredDataView(this, input);

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => new ScoredRowMapper(this, inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx) => TransformerPersistence.Save(ctx, Model);

    /// <summary>
    /// Releases the scoring engine and its native memory. The transformer stays usable: scoring again reloads the engine
    /// from the stored weights. ML.NET disposes a transformer with each PredictionEngine made from it, so one thread's
    /// engine may be disposed while others still score: an engine in use is released when its last call returns.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_scorer is null)
                return;
            _scorer.Released = true;
            if (_scorer.Calls == 0)
                _scorer.Scorer.Dispose();
            _scorer = null;
        }
    }

    /// <summary>
    /// Scores a batch with the scoring engine, loaded on first use (loading a model, reading its bitwidths or saving it
    /// needs none). Safe from any number of threads.
    /// </summary>
    internal void Score(ReadOnlySpan<float> images, int count, Span<float> probabilities, Span<bool> foreground)
    {
        LoadedScorer current;
        lock (_gate)
        {
            current = _scorer ??= new LoadedScorer(SegmentationScorer.Create(Package, ScoringMode, ImageHeight, ImageWidth));
            current.Calls++;
        }
        try
        {
            current.Scorer.Score(images, count, probabilities, foreground);
        }
        finally
        {
            lock (_gate)
            {
                if (--current.Calls == 0 && current.Released)
                    current.Scorer.Dispose();
            }
        }
    }

    /// <summary>A loaded engine and the calls scoring with it now; changed under the transformer's lock only.</summary>
    private sealed class LoadedScorer(SegmentationScorer scorer)
    {
        public SegmentationScorer Scorer { get; } = scorer;

        public int Calls { get; set; }

        /// <summary>Dispose was called: the last call to finish disposes the engine.</summary>
        public bool Released { get; set; }
    }
}
