namespace QuantUNet.Data;

/// <summary>A height and width in pixels, used wherever an image is generated or resized.</summary>
public readonly record struct ImageSize
{
    public ImageSize(int height, int width)
    {
        // Checked here so a bad size fails where it is written, not deep inside a resize.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>A square size, the common case for segmentation inputs.</summary>
    public static ImageSize Square(int side) => new(side, side);

    public override string ToString() => $"{Height}x{Width}";
}
