namespace QuantUNet.Data;

/// <summary>A height and width in pixels, used wherever an image is generated or resized.</summary>
public readonly record struct ImageSize
{
    /// <summary>A size of <paramref name="height"/> x <paramref name="width"/> pixels.</summary>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="width">Columns, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is zero or negative.</exception>
    public ImageSize(int height, int width)
    {
        // Checked here so a bad size fails where it is written, not deep inside a resize.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    /// <summary>Rows, in pixels.</summary>
    public int Height { get; }

    /// <summary>Columns, in pixels.</summary>
    public int Width { get; }

    /// <summary>A square size, the common case for segmentation inputs.</summary>
    public static ImageSize Square(int side) => new(side, side);

    /// <summary>"HxW", e.g. "256x256".</summary>
    public override string ToString() => $"{Height}x{Width}";
}
