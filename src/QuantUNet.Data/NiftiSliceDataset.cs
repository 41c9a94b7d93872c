using System.Globalization;

namespace QuantUNet.Data;

/// <summary>
/// Turns NIfTI-1 volumes into 2-D segmentation samples: one grey slice per index along an array axis, its mask taken
/// from a label volume on the same grid by a <see cref="LabelRule"/>.
/// </summary>
/// <remarks>
/// <para>Slice layout: of the two axes left, the lower one runs along a row (width) and the higher one down the
/// columns (height), in array order without flips: axis 2 gives Dimensions[1] x Dimensions[0] slices, axis 1
/// Dimensions[2] x Dimensions[0], axis 0 Dimensions[2] x Dimensions[1].</para>
/// <para>Intensity: per image volume, values are clamped to [low, high] and mapped linearly to [0, 1], low and high being
/// the <see cref="Options.LowerPercentile"/> and <see cref="Options.UpperPercentile"/> of all its voxels (linear
/// interpolation between ranks). The defaults 0 and 100 are plain min/max scaling; e.g. 0.5 and 99.5 make it robust
/// to a few extreme voxels. A constant volume becomes all zeros. NaN or infinite voxels are refused.</para>
/// <para>Names and groups: slice 81 along axis 2 of <c>ch2.nii.gz</c> is named <c>ch2-z081</c> (axes 0, 1, 2 are
/// written x, y, z; indices zero-padded to at least three digits). Its group is the slab of
/// <see cref="Options.SlabThickness"/> consecutive slices it falls in, counted from slice 0, e.g. <c>ch2-z080-087</c>,
/// so that a split by group (<see cref="DatasetSplit.ByGroup"/>) keeps neighbouring slices together, apart from the two
/// slices either side of each slab boundary. A thickness at least the slice count makes the whole volume one group.</para>
/// </remarks>
public static class NiftiSliceDataset
{
    private const string AxisNames = "xyz";

    /// <summary>How volumes become samples.</summary>
    public sealed class Options
    {
        /// <summary>The array axis to slice along: 0, 1 or 2 (2 is axial in the usual storage order). Default 2.</summary>
        public int Axis { get; init; } = 2;

        /// <summary>Resize every slice (Skia high quality, as <see cref="ImageFile.ReadImage"/>) and mask (nearest neighbour); null keeps the grid size.</summary>
        public ImageSize? Size { get; init; }

        /// <summary>Leave out slices whose normalised image is all zero (background only, e.g. outside a skull-stripped brain).</summary>
        public bool SkipEmptySlices { get; init; }

        /// <summary>Consecutive slices per group; see the remarks on <see cref="NiftiSliceDataset"/>. Default 8 slices.</summary>
        public int SlabThickness { get; init; } = 8;

        /// <summary>Percentile of the volume's voxels mapped to 0; 0 means its minimum.</summary>
        public double LowerPercentile { get; init; }

        /// <summary>Percentile of the volume's voxels mapped to 1; 100 means its maximum. Default 100.</summary>
        public double UpperPercentile { get; init; } = 100;
    }

    /// <summary>
    /// Reads an image volume and a label volume and slices them. The label file may be the image file itself (read
    /// once), e.g. a skull-stripped volume with <see cref="LabelRule.Positive"/> as its own brain mask.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">As <see cref="NiftiVolume.Read"/> and <see cref="Slice"/>, naming the file.</exception>
    public static IReadOnlyList<SegmentationSample> Load(string imagePath, string labelPath, LabelRule rule, Options? options = null)
    {
        var image = NiftiVolume.Read(imagePath);
        bool sameFile = string.Equals(Path.GetFullPath(imagePath), Path.GetFullPath(labelPath), StringComparison.Ordinal);
        return Slice(image, sameFile ? image : NiftiVolume.Read(labelPath), rule, options);
    }

    /// <summary>Slices volumes already read, e.g. one image with several label rules or along several axes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="InvalidDataException">The volumes' grids differ (dimensions, or voxel sizes by more than 0.1 %),
    /// or the image holds NaN or infinite voxels.</exception>
    public static IReadOnlyList<SegmentationSample> Slice(NiftiVolume image, NiftiVolume labels, LabelRule rule, Options? options = null)
    {
        options ??= new Options();
        Check(options);
        CheckSameGrid(image, labels);
        var (low, high) = IntensityBounds(image, options);

        int axis = options.Axis, across = axis == 0 ? 1 : 0, down = axis == 2 ? 1 : 2;
        int width = image.Dimensions[across], height = image.Dimensions[down], slices = image.Dimensions[axis];
        int[] strides = [1, image.Dimensions[0], image.Dimensions[0] * image.Dimensions[1]];
        int digits = Math.Max(3, (slices - 1).ToString(CultureInfo.InvariantCulture).Length);
        string Index(int slice) => slice.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
        string Slab(int slice)
        {
            int start = slice / options.SlabThickness * options.SlabThickness;
            int end = (int)Math.Min((long)start + options.SlabThickness, slices) - 1;
            return $"{image.Name}-{AxisNames[axis]}{Index(start)}-{Index(end)}";
        }

        var samples = new List<SegmentationSample>();
        for (int slice = 0; slice < slices; slice++)
        {
            var pixels = new float[height * width];
            var mask = new byte[height * width];
            for (int row = 0; row < height; row++)
            {
                for (int column = 0; column < width; column++)
                {
                    int voxel = slice * strides[axis] + row * strides[down] + column * strides[across];
                    pixels[row * width + column] = high > low ? Math.Clamp((image.Voxels[voxel] - low) / (high - low), 0f, 1f) : 0f;
                    mask[row * width + column] = rule.IsForeground(labels.Voxels[voxel]) ? (byte)1 : (byte)0;
                }
            }
            if (options.SkipEmptySlices && Array.TrueForAll(pixels, p => p == 0))
                continue;

            string name = $"{image.Name}-{AxisNames[axis]}{Index(slice)}";
            var planar = new PlanarImage(1, height, width, pixels);
            if (options.Size is { } size && (size.Height != height || size.Width != width))
            {
                planar = SkiaRaster.Resize(planar, size, name);
                mask = MaskResize.Nearest(mask, height, width, size);
            }
            samples.Add(new SegmentationSample(name, Slab(slice), 1, planar.Height, planar.Width, planar.Pixels, mask).Validate());
        }
        return samples;
    }

    private static void Check(Options options)
    {
        if (options.Axis is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(options), options.Axis, "The slicing axis must be 0, 1 or 2.");
        if (options.SlabThickness < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.SlabThickness, "A slab holds at least one slice.");
        if (!(options.LowerPercentile >= 0 && options.LowerPercentile < options.UpperPercentile && options.UpperPercentile <= 100))
            throw new ArgumentOutOfRangeException(
                nameof(options), (options.LowerPercentile, options.UpperPercentile), "Percentiles must satisfy 0 <= lower < upper <= 100.");
        if (options.Size is { Height: <= 0 } or { Width: <= 0 })
            throw new ArgumentOutOfRangeException(nameof(options), options.Size, "Cannot resize slices to an empty size.");
    }

    private static void CheckSameGrid(NiftiVolume image, NiftiVolume labels)
    {
        bool sameSizes = image.VoxelSizes.Zip(labels.VoxelSizes).All(p => Math.Abs(p.First - p.Second) <= 1e-3f * Math.Max(p.First, p.Second));
        if (!image.Dimensions.SequenceEqual(labels.Dimensions) || !sameSizes)
            throw new InvalidDataException(
                $"{labels.Path}: the label grid ({Grid(labels)}) differs from the grid of the image {image.Path} ({Grid(image)}).");
    }

    private static string Grid(NiftiVolume volume) =>
        $"{string.Join("x", volume.Dimensions)} voxels of {string.Join(" x ", volume.VoxelSizes.Select(s => s.ToString("0.###", CultureInfo.InvariantCulture)))}";

    private static (float Low, float High) IntensityBounds(NiftiVolume image, Options options)
    {
        int nonFinite = image.Voxels.Count(v => !float.IsFinite(v));
        if (nonFinite > 0)
            throw new InvalidDataException($"{image.Path}: {nonFinite} voxels are NaN or infinite; intensities cannot be normalised.");
        // Min/max needs no sort, which for the default saves sorting millions of voxels.
        if (options.LowerPercentile == 0 && options.UpperPercentile == 100)
            return (image.Voxels.Min(), image.Voxels.Max());
        var sorted = (float[])image.Voxels.Clone();
        Array.Sort(sorted);
        return ((float)SortedPercentile.Linear(sorted, options.LowerPercentile), (float)SortedPercentile.Linear(sorted, options.UpperPercentile));
    }
}
