using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet;

/// <summary>What a PredictionEngine uses: maps one input row at a time, scoring it when an output column is read.</summary>
internal sealed class ScoredRowMapper(QuantUNetTransformer transformer, DataViewSchema inputSchema) : IRowToRowMapper
{
    private readonly ScoredSchema _schema = new(transformer.Model, inputSchema);

    public DataViewSchema InputSchema => _schema.Input;

    public DataViewSchema OutputSchema => _schema.Output;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        _schema.InputsFor(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        if (input.Schema != _schema.Input)
            throw new ArgumentException("The row's schema is not the one this mapper was made for.", nameof(input));
        var active = activeColumns.ToList();
        var scores = active.Any(_schema.IsOutput) ? ScoreCache.PerRow(input, _schema.Image, transformer.Score) : null;
        return new ScoredCursor(_schema, input, scores, active);
    }
}
