using Microsoft.ML;

namespace QuantUNet.MLNet;

/// <summary>
/// The lazy result of <see cref="QuantUNetTransformer.Transform"/>: nothing is scored until a cursor asks for an output
/// column, and then in batches. Rows keep the input's order (the view does not shuffle), which is what lets a second
/// cursor over the input read images ahead of the consumer.
/// </summary>
internal sealed class ScoredDataView(QuantUNetTransformer transformer, IDataView input) : IDataView
{
    private readonly ScoredSchema _schema = new(transformer.Model, input.Schema);

    public bool CanShuffle => false;

    public DataViewSchema Schema => _schema.Output;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = columnsNeeded.ToList();
        var cursor = input.GetRowCursor(_schema.InputsFor(active));
        var scores = active.Any(_schema.IsOutput)
            ? ScoreCache.Batched(input.GetRowCursor([_schema.Image.Column]), _schema.Image, transformer.Score, transformer.Settings.ScoringBatchSize)
            : null;
        return new ScoredCursor(_schema, cursor, scores, active);
    }

    /// <summary>One cursor: the scorer batches internally, and a set would read the input twice per split.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
