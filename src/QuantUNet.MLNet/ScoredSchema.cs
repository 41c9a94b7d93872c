using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace QuantUNet.MLNet;

/// <summary>
/// The output schema of a <see cref="QuantUNetTransformer"/> over one input schema: every input column at its own
/// index, then Score (Vector&lt;Single&gt; [H, W] of probabilities), PredictedLabel (Vector&lt;Boolean&gt; [H, W]) and,
/// when asked for, the predicted mask as an image. An output named like an input column hides it, as in ML.NET.
/// </summary>
internal sealed class ScoredSchema
{
    public ScoredSchema(SegmentationModel model, DataViewSchema input)
    {
        Input = input;
        var columns = model.Settings.Columns;
        int height = model.Description.ImageHeight, width = model.Description.ImageWidth;
        var trained = new ImageShape(model.Description.ImageChannels, height, width);
        Image = ImageColumn.Bind(input, columns.Image, model.Description.ImageChannels, flatShape: trained, $"a flat vector is read as the model's {trained} images");
        if (Image.Shape != trained)
            throw ColumnErrors.Mismatch(columns.Image, "image", $"{trained} images, the size the model was trained on (resize with ResizeImages)", $"{Image.Shape} images");

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(columns.Score, new VectorDataViewType(NumberDataViewType.Single, height, width));
        builder.AddColumn(columns.PredictedLabel, new VectorDataViewType(BooleanDataViewType.Instance, height, width));
        if (columns.PredictedMaskImage is { } maskImage)
            builder.AddColumn(maskImage, new ImageDataViewType(height, width));
        Output = builder.ToSchema();
    }

    public DataViewSchema Input { get; }

    public DataViewSchema Output { get; }

    public ImageColumn Image { get; }

    public bool IsOutput(DataViewSchema.Column column) => column.Index >= Input.Count;

    /// <summary>The input columns needed to compute <paramref name="columns"/> of the output.</summary>
    public IEnumerable<DataViewSchema.Column> InputsFor(IEnumerable<DataViewSchema.Column> columns)
    {
        var needed = new HashSet<int>();
        foreach (var column in columns)
            needed.Add(IsOutput(column) ? Image.Column.Index : column.Index);
        return needed.Order().Select(index => Input[index]);
    }

    /// <summary>The getter of an output column, reading the current row's scores from <paramref name="scores"/>.</summary>
    public Delegate Getter(DataViewSchema.Column column, Func<RowScores> scores)
    {
        int outputIndex = column.Index - Input.Count;
        int height = Image.Shape.Height, width = Image.Shape.Width;
        return outputIndex switch
        {
            0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => Fill(ref value, scores().Probabilities.Span)),
            1 => (ValueGetter<VBuffer<bool>>)((ref VBuffer<bool> value) => Fill(ref value, scores().Foreground.Span)),
            _ => (ValueGetter<MLImage>)((ref MLImage value) =>
            {
                value?.Dispose(); // as ML.NET's image getters do: the previous image handed out is replaced
                value = ImagePixels.FromMask(scores().Foreground.Span, height, width);
            }),
        };
    }

    /// <summary>The output shape of an estimator that will add these columns, for <c>IEstimator.GetOutputSchema</c>.</summary>
    public static SchemaShape Shape(SchemaShape input, ColumnNames columns)
    {
        var result = input.ToDictionary(c => c.Name);
        var imageType = ColumnErrors.Find(input, columns.Image, "image").ItemType as ImageDataViewType ?? new ImageDataViewType();
        result[columns.Score] = MLNetInternals.ShapeColumn(columns.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single);
        result[columns.PredictedLabel] = MLNetInternals.ShapeColumn(columns.PredictedLabel, SchemaShape.Column.VectorKind.Vector, BooleanDataViewType.Instance);
        if (columns.PredictedMaskImage is { } maskImage)
            result[maskImage] = MLNetInternals.ShapeColumn(maskImage, SchemaShape.Column.VectorKind.Scalar, imageType);
        return new SchemaShape(result.Values);
    }

    private static void Fill<T>(ref VBuffer<T> value, ReadOnlySpan<T> source)
    {
        var editor = VBufferEditor.Create(ref value, source.Length);
        source.CopyTo(editor.Values);
        value = editor.Commit();
    }
}

/// <summary>One row's scores: height x width probabilities and foreground decisions, row-major.</summary>
internal readonly record struct RowScores(ReadOnlyMemory<float> Probabilities, ReadOnlyMemory<bool> Foreground);
