using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace QuantUNet.MLNet;

/// <summary>Finds columns and words schema errors the way ML.NET does, always naming the column and what it holds.</summary>
internal static class ColumnErrors
{
    public static DataViewSchema.Column Find(DataViewSchema schema, string name, string role) =>
        schema.GetColumnOrNull(name) ?? throw NotFound(name, role, schema.Select(c => c.Name));

    public static SchemaShape.Column Find(SchemaShape shape, string name, string role)
    {
        var column = shape.FirstOrDefault(c => c.Name == name);
        return column.Name is not null ? column : throw NotFound(name, role, shape.Select(c => c.Name));
    }

    public static ArgumentOutOfRangeException Mismatch(string name, string role, string expected, object actual) =>
        new(paramName: null, $"Schema mismatch for {role} column '{name}': expected {expected}, got {actual}.");

    /// <summary>A value error found while reading a row, naming the column and the row.</summary>
    public static InvalidOperationException InRow(string name, string role, long row, string problem) =>
        new($"{role} column '{name}', row {row}: {problem}");

    /// <summary>Refuses NaN and infinities, which no image or mask can mean, naming the column, the row and the first such value.</summary>
    public static void CheckFinite(ReadOnlySpan<float> values, string name, string role, long row)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw InRow(name, role, row, $"value {values[i].ToString(CultureInfo.InvariantCulture)} at index {i} is not a finite number.");
        }
    }

    /// <summary>
    /// Refuses image values outside [0, 1], naming the column, the row and the first such value: raw 0..255 pixels would
    /// train silently into a model that calls everything foreground.
    /// </summary>
    public static void CheckUnitRange(ReadOnlySpan<float> values, string name, string role, long row)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is < 0 or > 1)
                throw InRow(name, role, row, $"value {values[i].ToString(CultureInfo.InvariantCulture)} at index {i} is outside [0, 1]. "
                    + "QuantU-Net reads pixel intensities in [0, 1]: scale them when extracting, ExtractPixels(..., scaleImage: 1f / 255).");
        }
    }

    private static ArgumentOutOfRangeException NotFound(string name, string role, IEnumerable<string> available) =>
        new(paramName: null, $"Could not find {role} column '{name}'. The data has: {string.Join(", ", available.Distinct())}. "
            + "(AppendCacheCheckpoint drops MLImage columns, which it cannot cache: append it before LoadImages, or after ExtractPixels.)");
}
