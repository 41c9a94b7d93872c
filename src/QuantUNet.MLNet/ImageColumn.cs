using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace QuantUNet.MLNet;

/// <summary>The size of the images a model reads: planar, channels x height x width.</summary>
internal readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public int Pixels => Height * Width;

    public int Values => Channels * Pixels;

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// The image column of a QuantU-Net: an <see cref="MLImage"/> column of known size (LoadImages, then ResizeImages),
/// read as <c>imageChannels</c> planes in [0, 1] by <see cref="ImagePixels"/>; or a known-size float vector with the
/// dimensions [C, H, W] or [H, W], as ExtractPixels writes with <c>interleavePixelColors: false</c>, taken as it is:
/// planar and expected in [0, 1] (<c>scaleImage: 1f / 255</c>); a row holding NaN or an infinity is refused, naming the
/// column and the row.
/// </summary>
internal sealed class ImageColumn
{
    private const string Role = "image";
    private const string Expected = "an MLImage column of known size (LoadImages then ResizeImages) or a known-size float vector [C, H, W] or [H, W] (ExtractPixels)";
    private readonly bool _isImage;

    private ImageColumn(DataViewSchema.Column column, ImageShape shape, bool isImage)
    {
        Column = column;
        Shape = shape;
        _isImage = isImage;
    }

    public DataViewSchema.Column Column { get; }

    public ImageShape Shape { get; }

    public static ImageColumn Bind(DataViewSchema schema, string name, int imageChannels)
    {
        var column = ColumnErrors.Find(schema, name, Role);
        return column.Type switch
        {
            ImageDataViewType { Height: > 0, Width: > 0 } image => new(column, new ImageShape(imageChannels, image.Height, image.Width), isImage: true),
            VectorDataViewType { IsKnownSize: true } vector when vector.ItemType == NumberDataViewType.Single && vector.Dimensions.Length is 2 or 3 =>
                new(column, vector.Dimensions.Length == 3
                    ? new ImageShape(vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2])
                    : new ImageShape(1, vector.Dimensions[0], vector.Dimensions[1]), isImage: false),
            _ => throw ColumnErrors.Mismatch(name, Role, Expected, Describe(column.Type)),
        };
    }

    /// <summary>The check an estimator can make before any data: the kind of column, not yet its size.</summary>
    public static void CheckShape(SchemaShape shape, string name)
    {
        var column = ColumnErrors.Find(shape, name, Role);
        bool image = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is ImageDataViewType;
        bool vector = column.Kind == SchemaShape.Column.VectorKind.Vector && column.ItemType == NumberDataViewType.Single;
        if (!image && !vector)
            throw ColumnErrors.Mismatch(name, Role, Expected, $"{column.Kind} of {column.ItemType}");
    }

    /// <summary>Reads the current row's image, checked against <see cref="Shape"/>, into planar floats.</summary>
    public Action<Span<float>> Reader(DataViewRow row)
    {
        if (_isImage)
        {
            var getImage = row.GetGetter<MLImage>(Column);
            MLImage image = null!; // ML.NET's image getters dispose the image they handed out before
            return destination =>
            {
                ImagePixels.Fetch(getImage, ref image, Column.Name, Role, row.Position);
                if (image.Height != Shape.Height || image.Width != Shape.Width)
                    throw ColumnErrors.InRow(Column.Name, Role, row.Position, $"image is {image.Height}x{image.Width}, expected {Shape.Height}x{Shape.Width}.");
                ImagePixels.ToPlanar(image, Shape.Channels, destination);
            };
        }
        var getVector = row.GetGetter<VBuffer<float>>(Column);
        VBuffer<float> values = default;
        return destination =>
        {
            getVector(ref values);
            values.CopyTo(destination);
            ColumnErrors.CheckFinite(destination[..values.Length], Column.Name, Role, row.Position);
        };
    }

    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType vector => $"Vector<{vector.ItemType.RawType.Name}, {(vector.IsKnownSize ? string.Join(", ", vector.Dimensions) : "variable size")}>",
        ImageDataViewType image => image.Height > 0 ? $"an MLImage column of {image.Height}x{image.Width}" : "an MLImage column of unknown size",
        _ => type.RawType.Name,
    };
}
