using Microsoft.ML;

namespace QuantUNet.MLNet;

/// <summary>Adds the QuantU-Net trainer to <c>mlContext.Segmentation().Trainers</c>.</summary>
public static class QuantUNetCatalog
{
    /// <summary>A QuantU-Net trainer with every setting in <paramref name="options"/>.</summary>
    public static QuantUNetTrainer QuantUNet(this SegmentationCatalog.SegmentationTrainers catalog, QuantUNetTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new QuantUNetTrainer(catalog.Environment, options);
    }

    /// <summary>A QuantU-Net trainer with the common settings; the rest keep the defaults of <see cref="QuantUNetTrainer.Options"/>.</summary>
    /// <param name="catalog">The segmentation trainers of an MLContext: <c>mlContext.Segmentation().Trainers</c>.</param>
    /// <param name="labelColumnName">The true masks: an MLImage column or a known-size float, byte or bool vector.</param>
    /// <param name="imageColumnName">The images: an MLImage column of known size or a float vector [C, H, W] in [0, 1].</param>
    /// <param name="epochs">All passes over the training data, the float warm start included; null keeps <see cref="QuantUNetTrainer.Options.Epochs"/>' default.</param>
    /// <param name="baseWidth">Channels of the first U-Net level.</param>
    /// <param name="quantize">False trains the float baseline.</param>
    /// <param name="validationSet">Scored and logged after every epoch.</param>
    public static QuantUNetTrainer QuantUNet(this SegmentationCatalog.SegmentationTrainers catalog,
        string labelColumnName = "Label", string imageColumnName = "Image", int? epochs = null, int baseWidth = 16,
        bool quantize = true, IDataView? validationSet = null)
    {
        var options = new QuantUNetTrainer.Options
        {
            LabelColumnName = labelColumnName, ImageColumnName = imageColumnName, BaseWidth = baseWidth, Quantize = quantize, ValidationSet = validationSet,
        };
        if (epochs is { } all) options.Epochs = all;
        return catalog.QuantUNet(options);
    }
}
