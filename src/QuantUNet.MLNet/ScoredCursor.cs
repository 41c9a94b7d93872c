using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet;

/// <summary>
/// A row of a <see cref="QuantUNetTransformer"/>'s output: input columns pass through from the wrapped row, the
/// transformer's columns are computed from <see cref="ScoreCache"/> only when their getters are called. Wraps a cursor
/// (Transform, and it moves with it) or a single row (a PredictionEngine, where the input row is moved by its owner).
/// </summary>
internal sealed class ScoredCursor : DataViewRowCursor
{
    private readonly ScoredSchema _schema;
    private readonly DataViewRow _input;
    private readonly ScoreCache? _scores;
    private readonly Delegate?[] _outputGetters;

    /// <param name="schema">The transformer's input and output columns.</param>
    /// <param name="input">The cursor over the input rows.</param>
    /// <param name="scores">Null when no output column is active.</param>
    /// <param name="activeColumns">The columns the caller reads.</param>
    public ScoredCursor(ScoredSchema schema, DataViewRow input, ScoreCache? scores, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        _schema = schema;
        _input = input;
        _scores = scores;
        _outputGetters = new Delegate?[schema.Output.Count - schema.Input.Count];
        foreach (var column in activeColumns.Where(schema.IsOutput))
            _outputGetters[column.Index - schema.Input.Count] = schema.Getter(column, () => _scores!.For(_input.Position));
    }

    public override DataViewSchema Schema => _schema.Output;

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _schema.IsOutput(column)
        ? _outputGetters[column.Index - _schema.Input.Count] is not null
        : _input.IsColumnActive(_schema.Input[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_schema.IsOutput(column))
            return _input.GetGetter<TValue>(_schema.Input[column.Index]);
        var getter = _outputGetters[column.Index - _schema.Input.Count]
            ?? throw new InvalidOperationException($"Column '{column.Name}' was not requested as active when the cursor was made.");
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    public override bool MoveNext() => _input is DataViewRowCursor cursor
        ? cursor.MoveNext()
        : throw new NotSupportedException("A mapped row moves with its input row; only a cursor from Transform can move itself.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _scores?.Dispose();
            _input.Dispose();
        }
        base.Dispose(disposing);
    }
}
