using Microsoft.ML;
using Microsoft.ML.Data;
using QuantUNet.Data;

namespace QuantUNet.MLNet;

/// <summary>Reads predicted and true masks from a data view into <see cref="SegmentationEvaluator"/>.</summary>
internal static class MaskEvaluation
{
    public static SegmentationMetrics Evaluate(IDataView data, string label, string predicted, string? group, string? name)
    {
        var predictedColumn = MaskColumn.BindSized(data.Schema, predicted, "predicted mask");
        int height = predictedColumn.Height, width = predictedColumn.Width;
        var labelColumn = MaskColumn.Bind(data.Schema, label, "label", height, width);
        var groupColumn = group is null ? (DataViewSchema.Column?)null : ColumnErrors.Find(data.Schema, group, "group");
        var nameColumn = name is null ? (DataViewSchema.Column?)null : ColumnErrors.Find(data.Schema, name, "name");

        var active = new[] { predictedColumn.Column, labelColumn.Column, groupColumn, nameColumn }.OfType<DataViewSchema.Column>();
        using var cursor = data.GetRowCursor(active.Distinct());
        var readPredicted = predictedColumn.Reader(cursor);
        var readLabel = labelColumn.Reader(cursor);
        var readGroup = groupColumn is { } g ? TextOf(cursor, g, "group") : null;
        var readName = nameColumn is { } n ? TextOf(cursor, n, "name") : null;
        var evaluator = new SegmentationEvaluator();
        var predictedMask = new byte[height * width];
        var trueMask = new byte[height * width];
        while (cursor.MoveNext())
        {
            readPredicted(predictedMask);
            readLabel(trueMask);
            evaluator.Add(predictedMask, trueMask, height, width, readGroup?.Invoke(), readName?.Invoke());
        }
        if (evaluator.ImageCount == 0)
            throw new ArgumentException("The data to evaluate has no rows.", nameof(data));
        return new SegmentationMetrics(evaluator.GetScores());
    }

    /// <summary>Reads a text or numeric column's current value as a string.</summary>
    private static Func<string> TextOf(DataViewRow row, DataViewSchema.Column column, string role) => column.Type.RawType switch
    {
        var t when t == typeof(ReadOnlyMemory<char>) => Stringify<ReadOnlyMemory<char>>(row, column),
        var t when t == typeof(int) => Stringify<int>(row, column),
        var t when t == typeof(long) => Stringify<long>(row, column),
        var t when t == typeof(uint) => Stringify<uint>(row, column),
        var t when t == typeof(ulong) => Stringify<ulong>(row, column),
        var t when t == typeof(float) => Stringify<float>(row, column),
        var t when t == typeof(double) => Stringify<double>(row, column),
        _ => throw ColumnErrors.Mismatch(column.Name, role, "a text or numeric column", ImageColumn.Describe(column.Type)),
    };

    private static Func<string> Stringify<T>(DataViewRow row, DataViewSchema.Column column)
    {
        var getter = row.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return value!.ToString()!;
        };
    }
}
