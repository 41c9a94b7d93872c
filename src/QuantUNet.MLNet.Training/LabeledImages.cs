using Microsoft.ML;
using QuantUNet.Data;
using QuantUNet.Integer;
using QuantUNet.Torch.Model;

namespace QuantUNet.MLNet;

/// <summary>
/// The images and masks of a data view, read into samples for the training engine. <see cref="Shape"/> is the images'
/// own size; the samples are padded by <see cref="ImagePadding"/> to multiples of <see cref="ArchitectureOptions.SizeMultiple"/>
/// as scoring pads them, their masks with background (0), so the network trains on what it will score.
/// </summary>
internal sealed record LabeledImages(ImageShape Shape, IReadOnlyList<SegmentationSample> Samples)
{
    /// <summary>
    /// Checks the image and label columns of <paramref name="data"/> (naming <paramref name="dataName"/> and adding
    /// <paramref name="hint"/> in errors), then reads every row. <paramref name="expected"/>, when given, is the image
    /// size the data must have.
    /// </summary>
    public static LabeledImages Read(IDataView data, QuantUNetTrainer.Options options, string dataName, ImageShape? expected, string hint = "")
    {
        ImageColumn image;
        MaskColumn mask;
        try
        {
            image = ImageColumn.Bind(data.Schema, options.ImageColumnName, options.ImageChannels, options.FlatImageShape(),
                "set QuantUNetTrainer.Options.ImageHeight and ImageWidth, and ImageChannels for more than one plane");
            if (expected is { } shape && image.Shape != shape)
                throw ColumnErrors.Mismatch(options.ImageColumnName, "image", $"{shape} images, as in the training data", $"{image.Shape} images");
            mask = MaskColumn.Bind(data.Schema, options.LabelColumnName, "label", image.Shape.Height, image.Shape.Width);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(paramName: null, $"In the {dataName}: {e.Message}{hint}");
        }

        var samples = new List<SegmentationSample>();
        using var cursor = data.GetRowCursor([image.Column, mask.Column]);
        var readImage = image.Reader(cursor);
        var readMask = mask.Reader(cursor);
        var s = image.Shape;
        var padding = ImagePadding.For(s.Height, s.Width, ArchitectureOptions.SizeMultiple);
        var pixels = new float[s.Values];
        var labels = new byte[s.Pixels];
        while (cursor.MoveNext())
        {
            readImage(pixels);
            ColumnErrors.CheckUnitRange(pixels, options.ImageColumnName, "image", cursor.Position);
            readMask(labels);
            var paddedPixels = new float[s.Channels * padding.PaddedPixels];
            var paddedLabels = new byte[padding.PaddedPixels];
            padding.Pad<float>(pixels, paddedPixels, options.Normalization);
            padding.Pad<byte>(labels, paddedLabels, PixelNormalization.UnitRange); // background
            string name = $"{dataName} row {cursor.Position}";
            samples.Add(new SegmentationSample(name, name, s.Channels, padding.PaddedHeight, padding.PaddedWidth, paddedPixels, paddedLabels));
        }
        if (samples.Count == 0)
            throw new ArgumentException($"The {dataName} has no rows.", nameof(data));
        return new LabeledImages(s, samples);
    }
}
