using System.Numerics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using QuantUNet.Data;

namespace QuantUNet.MLNet;

/// <summary>
/// A mask column: an <see cref="MLImage"/> column, or a known-size vector of float, byte or bool holding height x width
/// values, row-major. Binarisation: bool is taken as it is; numbers and images (their grey values) go through
/// <see cref="MaskBinarisation"/>, the rule mask files are read by, with a full scale of 255: foreground above half the
/// full scale, which is 1 when the mask's largest value is at most 1 (a 0/1 map or probabilities). A float mask holding
/// NaN or an infinity is refused, naming the column and the row.
/// </summary>
internal sealed class MaskColumn
{
    private const string Expected = "an MLImage column or a known-size vector of Single, Byte or Boolean";
    private readonly string _role;

    private MaskColumn(DataViewSchema.Column column, string role, int height, int width)
    {
        Column = column;
        _role = role;
        Height = height;
        Width = width;
    }

    public DataViewSchema.Column Column { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Binds a mask of a known <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static MaskColumn Bind(DataViewSchema schema, string name, string role, int height, int width)
    {
        var column = ColumnErrors.Find(schema, name, role);
        switch (column.Type)
        {
            case ImageDataViewType image when image.Height == 0 || (image.Height == height && image.Width == width):
            case VectorDataViewType vector when IsMaskItem(vector.ItemType) && vector.IsKnownSize && vector.Size == height * width:
                return new MaskColumn(column, role, height, width);
            default:
                throw ColumnErrors.Mismatch(name, role, $"{Expected}, of {height}x{width} pixels", ImageColumn.Describe(column.Type));
        }
    }

    /// <summary>Binds a mask whose column type tells its size: a [H, W] vector or an MLImage column of known size.</summary>
    public static MaskColumn BindSized(DataViewSchema schema, string name, string role)
    {
        var column = ColumnErrors.Find(schema, name, role);
        return column.Type switch
        {
            VectorDataViewType vector when IsMaskItem(vector.ItemType) && vector.IsKnownSize && vector.Dimensions.Length == 2 =>
                new MaskColumn(column, role, vector.Dimensions[0], vector.Dimensions[1]),
            ImageDataViewType { Height: > 0 } image => new MaskColumn(column, role, image.Height, image.Width),
            _ => throw ColumnErrors.Mismatch(name, role, "a [H, W] vector of Single, Byte or Boolean, or an MLImage column of known size", ImageColumn.Describe(column.Type)),
        };
    }

    /// <summary>The check an estimator can make before any data.</summary>
    public static void CheckShape(SchemaShape shape, string name, string role)
    {
        var column = ColumnErrors.Find(shape, name, role);
        bool image = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is ImageDataViewType;
        bool vector = column.Kind == SchemaShape.Column.VectorKind.Vector && IsMaskItem(column.ItemType);
        if (!image && !vector)
            throw ColumnErrors.Mismatch(name, role, Expected, $"{column.Kind} of {column.ItemType}");
    }

    /// <summary>Reads the current row's mask as 0/1 bytes, row-major.</summary>
    public Action<Span<byte>> Reader(DataViewRow row) => Column.Type switch
    {
        ImageDataViewType => ImageReader(row),
        VectorDataViewType { ItemType: BooleanDataViewType } => VectorReader<bool>(row, (values, mask) =>
        {
            for (int i = 0; i < values.Length; i++)
                mask[i] = values[i] ? (byte)1 : (byte)0;
        }),
        VectorDataViewType vector when vector.ItemType == NumberDataViewType.Byte => VectorReader<byte>(row, Binarise),
        _ => VectorReader<float>(row, (values, mask) =>
        {
            ColumnErrors.CheckFinite(values, Column.Name, _role, row.Position);
            Binarise(values, mask);
        }),
    };

    private Action<Span<byte>> ImageReader(DataViewRow row)
    {
        var getImage = row.GetGetter<MLImage>(Column);
        MLImage image = null!; // ML.NET's image getters dispose the image they handed out before
        var grey = new byte[Height * Width];
        return mask =>
        {
            ImagePixels.Fetch(getImage, ref image, Column.Name, _role, row.Position);
            if (image.Height != Height || image.Width != Width)
                throw ColumnErrors.InRow(Column.Name, _role, row.Position, $"mask is {image.Height}x{image.Width}, expected {Height}x{Width}.");
            ImagePixels.ToGrey(image, grey);
            Binarise<byte>(grey, mask);
        };
    }

    private delegate void Convert<T>(ReadOnlySpan<T> values, Span<byte> mask);

    private Action<Span<byte>> VectorReader<T>(DataViewRow row, Convert<T> convert)
    {
        var getVector = row.GetGetter<VBuffer<T>>(Column);
        VBuffer<T> buffer = default;
        var values = new T[Height * Width];
        return mask =>
        {
            getVector(ref buffer);
            buffer.CopyTo(values);
            convert(values, mask);
        };
    }

    // 255: the full scale of bytes, of MLImage grey values, and of float masks that are not 0/1 maps or probabilities.
    private static void Binarise<T>(ReadOnlySpan<T> values, Span<byte> mask) where T : INumber<T> =>
        MaskBinarisation.Binarise(values, T.CreateTruncating(byte.MaxValue), mask);

    private static bool IsMaskItem(DataViewType type) =>
        type == NumberDataViewType.Single || type == NumberDataViewType.Byte || type is BooleanDataViewType;
}
