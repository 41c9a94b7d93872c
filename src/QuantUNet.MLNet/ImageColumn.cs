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
/// read as <c>imageChannels</c> planes in [0, 1] by <see cref="ImagePixels"/>; a known-size float vector with the
/// dimensions [C, H, W] or [H, W], as ExtractPixels writes with <c>interleavePixelColors: false</c>; or a flat float
/// vector (one dimension, or of variable size) read as the shape its user states. Vectors are taken as they are: planar
/// and expected in [0, 1] (<c>scaleImage: 1f / 255</c>); a row holding NaN or an infinity, or a flat row of another
/// length, is refused, naming the column and the row. An interleaved vector [H, W, C] (ExtractPixels with
/// <c>interleavePixelColors: true</c>) of more than one channel is refused as such.
/// </summary>
internal sealed class ImageColumn
{
    private const string Role = "image";
    private const string Expected = "an MLImage column of known size (LoadImages then ResizeImages), a known-size float vector [C, H, W] or [H, W] (ExtractPixels), or a flat float vector of stated height and width";

    /// <summary>At most this many channels in the last dimension of [H, W, C] marks an interleaved vector (ExtractPixels gives 1 to 4).</summary>
    private const int MaxInterleavedChannels = 4;
    private readonly bool _isImage;

    private ImageColumn(DataViewSchema.Column column, ImageShape shape, bool isImage)
    {
        Column = column;
        Shape = shape;
        _isImage = isImage;
    }

    public DataViewSchema.Column Column { get; }

    public ImageShape Shape { get; }

    /// <param name="schema">The data's schema.</param>
    /// <param name="name">The image column.</param>
    /// <param name="imageChannels">How an MLImage is read: 1 (grey) or 3 (RGB).</param>
    /// <param name="flatShape">The shape of a flat float vector's rows, or null when none is stated (a flat vector is then refused).</param>
    /// <param name="flatShapeHint">How the user states <paramref name="flatShape"/>, said when it is missing or does not fit.</param>
    public static ImageColumn Bind(DataViewSchema schema, string name, int imageChannels, ImageShape? flatShape, string flatShapeHint)
    {
        var column = ColumnErrors.Find(schema, name, Role);
        switch (column.Type)
        {
            case ImageDataViewType { Height: > 0, Width: > 0 } image:
                return new(column, new ImageShape(imageChannels, image.Height, image.Width), isImage: true);
            case VectorDataViewType vector when vector.ItemType == NumberDataViewType.Single:
                return new(column, VectorShape(vector, name, flatShape, flatShapeHint), isImage: false);
            default:
                throw ColumnErrors.Mismatch(name, Role, Expected, Describe(column.Type));
        }
    }

    /// <summary>The image shape of a float vector column: its own dimensions, or the stated shape of a flat one.</summary>
    private static ImageShape VectorShape(VectorDataViewType vector, string name, ImageShape? flatShape, string flatShapeHint)
    {
        var dimensions = vector.Dimensions;
        if (vector.IsKnownSize && dimensions.Length == 3)
        {
            if (dimensions[2] <= MaxInterleavedChannels && dimensions[0] > MaxInterleavedChannels)
            {
                if (dimensions[2] == 1) // one channel: interleaved and planar are the same values
                    return new ImageShape(1, dimensions[0], dimensions[1]);
                throw ColumnErrors.Mismatch(name, Role, "planar pixels [C, H, W]",
                    $"Vector<Single, {string.Join(", ", dimensions)}>, interleaved pixels [H, W, C] (ExtractPixels with interleavePixelColors: true). "
                    + "Extract them planar instead: ExtractPixels(..., interleavePixelColors: false)");
            }
            return new ImageShape(dimensions[0], dimensions[1], dimensions[2]);
        }
        if (vector.IsKnownSize && dimensions.Length == 2)
            return new ImageShape(1, dimensions[0], dimensions[1]);
        if (dimensions.Length > 3)
            throw ColumnErrors.Mismatch(name, Role, Expected, Describe(vector));
        if (flatShape is not { } shape)
            throw ColumnErrors.Mismatch(name, Role, $"{Expected} ({flatShapeHint})", $"{Describe(vector)}, which does not say its image's height and width");
        if (vector.IsKnownSize && vector.Size != shape.Values)
            throw ColumnErrors.Mismatch(name, Role, $"{shape.Values} values, {shape} images ({flatShapeHint})", Describe(vector));
        return shape;
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
            if (values.Length != Shape.Values)
                throw ColumnErrors.InRow(Column.Name, Role, row.Position, $"the vector holds {values.Length} values, expected {Shape.Values} ({Shape} images).");
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
