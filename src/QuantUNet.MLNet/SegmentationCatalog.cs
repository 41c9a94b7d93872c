using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>Adds <see cref="Segmentation"/> to <see cref="MLContext"/>, as ML.NET's own catalogs hang off it.</summary>
public static class SegmentationMLContextExtensions
{
    private static readonly ConditionalWeakTable<MLContext, SegmentationCatalog> Catalogs = new();

    /// <summary>
    /// Binary image segmentation: trainers (<c>Trainers.QuantUNet</c>, from QuantUNet.MLNet.Training) and
    /// <see cref="SegmentationCatalog.Evaluate"/>. The first call on an MLContext also makes that MLContext able to load
    /// saved QuantU-Net models (ML.NET keeps loaders per MLContext), so call it once on each MLContext before
    /// <c>mlContext.Model.Load</c>. It also installs, once per process, an <see cref="AppDomain.AssemblyResolve"/> handler
    /// that answers only for QuantUNet's own assemblies and their exact references (for notebooks that load DLLs by path).
    /// </summary>
    public static SegmentationCatalog Segmentation(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return Catalogs.GetValue(mlContext, ml => new SegmentationCatalog(ml));
    }
}

/// <summary>Segmentation trainers and evaluation for an <see cref="MLContext"/>.</summary>
public sealed class SegmentationCatalog
{
    private readonly MLContext _mlContext;

    internal SegmentationCatalog(MLContext mlContext)
    {
        _mlContext = mlContext;
        Environment = mlContext;
        Trainers = new SegmentationTrainers(this);
        TransformerPersistence.Register(mlContext);
    }

    internal IHostEnvironment Environment { get; }

    /// <summary>The segmentation trainers; <c>QuantUNet(...)</c> comes from the QuantUNet.MLNet.Training assembly.</summary>
    public SegmentationTrainers Trainers { get; }

    /// <summary>
    /// Scores predicted masks against true ones with the metrics of <see cref="SegmentationMetrics"/>.
    /// </summary>
    /// <param name="data">Scored data, typically the output of a QuantU-Net transformer.</param>
    /// <param name="labelColumnName">The true masks: an MLImage column or a vector of float, byte or bool (see the
    /// binarisation rule in the README).</param>
    /// <param name="predictedLabelColumnName">The predicted masks: a [H, W] vector (PredictedLabel) or an MLImage column of known size.</param>
    /// <param name="groupColumnName">Optional patient or volume id (text or number): adds <see cref="SegmentationMetrics.MeanGroupDice"/>.</param>
    /// <param name="nameColumnName">Optional image name (text or number) kept with each per-image result.</param>
    public SegmentationMetrics Evaluate(IDataView data, string labelColumnName = "Label", string predictedLabelColumnName = "PredictedLabel",
        string? groupColumnName = null, string? nameColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return MaskEvaluation.Evaluate(data, labelColumnName, predictedLabelColumnName, groupColumnName, nameColumnName);
    }

    /// <summary>
    /// Cross-validation as ML.NET's other catalogs do it: splits <paramref name="data"/> into
    /// <paramref name="numberOfFolds"/> folds (<c>mlContext.Data.CrossValidationSplit</c>), fits
    /// <paramref name="estimator"/> on all folds but one, and evaluates it on the one held out, once per fold. With
    /// <paramref name="samplingKeyColumnName"/> (a patient or volume id), rows of one key stay in one fold, so no
    /// patient is trained on and tested on in the same fold; the key also groups <see cref="SegmentationMetrics.MeanGroupDice"/>.
    /// </summary>
    /// <param name="data">The rows before any of <paramref name="estimator"/>'s steps (image paths, say).</param>
    /// <param name="estimator">The whole pipeline, preprocessing and QuantU-Net trainer.</param>
    /// <param name="numberOfFolds">Folds, at least 2 (ML.NET's default 5).</param>
    /// <param name="samplingKeyColumnName">Rows with the same value go to the same fold; null splits rows at random.</param>
    /// <param name="labelColumnName">The true masks in the scored data, as for <see cref="Evaluate"/>.</param>
    /// <param name="predictedLabelColumnName">The predicted masks in the scored data.</param>
    /// <param name="seed">Seeds the split; null uses the MLContext's random source.</param>
    /// <returns>One result per fold, in fold order: metrics, fitted model and the scored held-out rows.</returns>
    public IReadOnlyList<SegmentationCrossValidationResult> CrossValidate(IDataView data, IEstimator<ITransformer> estimator, int numberOfFolds = 5,
        string? samplingKeyColumnName = null, string labelColumnName = "Label", string predictedLabelColumnName = "PredictedLabel", int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(estimator);
        if (numberOfFolds < 2)
            throw new ArgumentOutOfRangeException(nameof(numberOfFolds), numberOfFolds, "Cross-validation needs at least 2 folds.");
        if (samplingKeyColumnName is not null)
            ColumnErrors.Find(data.Schema, samplingKeyColumnName, "sampling key");
        var folds = _mlContext.Data.CrossValidationSplit(data, numberOfFolds, samplingKeyColumnName, seed);
        var results = new List<SegmentationCrossValidationResult>();
        foreach (var (fold, index) in folds.Select((f, i) => (f, i)))
        {
            var model = estimator.Fit(fold.TrainSet);
            var scored = model.Transform(fold.TestSet);
            var metrics = Evaluate(scored, labelColumnName, predictedLabelColumnName, groupColumnName: samplingKeyColumnName);
            results.Add(new SegmentationCrossValidationResult(index, metrics, model, scored));
        }
        return results;
    }

    /// <summary>
    /// A transformer over a trained model from any file a user has (what <see cref="ModelPackage.Load(string)"/> reads:
    /// a package, an ML.NET model zip whose pipeline holds a QuantU-Net transformer, a <c>.qint</c> integer model, the
    /// folder <c>quantunet train</c> wrote). A zip keeps the transformer's saved columns and mode; any other file scores
    /// column <c>Image</c> into <c>Score</c> and <c>PredictedLabel</c> in <see cref="SegmentationScorer.DefaultMode"/>.
    /// Files of the previous TorchSharp format load with <c>FromModelFile</c> (QuantUNet.MLNet.Training).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a model this build reads; the message names the file.</exception>
    public QuantUNetTransformer LoadModel(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = ModelPackage.ModelFileIn(path);
        using var stream = File.Exists(file) ? File.OpenRead(file) : throw new FileNotFoundException($"{file}: no such model file.", file);
        return LoadModel(stream, file);
    }

    /// <summary>A transformer over the model in <paramref name="stream"/> (see <see cref="LoadModel(string)"/>); writes no file.</summary>
    /// <param name="stream">The model's bytes, read to the end; any format <see cref="LoadModel(string)"/> reads.</param>
    /// <param name="source">What to call the stream in error messages.</param>
    public QuantUNetTransformer LoadModel(Stream stream, string source = "the model stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        if (MLNetPayload.IsZip(bytes))
            return new QuantUNetTransformer(ModelPayload.FromParts(MLNetPayload.ReadZip(bytes, source), source));
        return FromPackage(ModelPackage.Load(new MemoryStream(bytes, writable: false), source));
    }

    /// <summary>A transformer over <paramref name="package"/> that scores column <c>Image</c> into <c>Score</c> and <c>PredictedLabel</c> in <see cref="SegmentationScorer.DefaultMode"/>.</summary>
    public QuantUNetTransformer FromPackage(ModelPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return new QuantUNetTransformer(new SegmentationModel(
            new TransformerOptions(ColumnNames.Default, SegmentationScorer.DefaultMode(package), SegmentationScorer.DefaultBatchSize), package));
    }

    /// <summary>Segmentation trainers; extension methods add them, one assembly per engine.</summary>
    public sealed class SegmentationTrainers
    {
        internal SegmentationTrainers(SegmentationCatalog owner) => Environment = owner.Environment;

        internal IHostEnvironment Environment { get; }
    }
}
