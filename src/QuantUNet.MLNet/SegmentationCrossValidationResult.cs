using Microsoft.ML;

namespace QuantUNet.MLNet;

/// <summary>One fold of <see cref="SegmentationCatalog.CrossValidate"/>, as ML.NET's <c>CrossValidationResult</c> holds it.</summary>
/// <param name="Fold">The fold's index, from 0.</param>
/// <param name="Metrics">The metrics of the model on the fold's held-out rows.</param>
/// <param name="Model">The pipeline fitted on the other folds; dispose it (or the QuantU-Net transformer in it) when done.</param>
/// <param name="ScoredHoldOutSet">The held-out rows with the model's outputs, scored lazily.</param>
public sealed record SegmentationCrossValidationResult(int Fold, SegmentationMetrics Metrics, ITransformer Model, IDataView ScoredHoldOutSet);
