using QuantUNet.Torch.Quantization;
using static TorchSharp.torch;

namespace QuantUNet.Torch.Training;

/// <summary>How training images are varied.</summary>
public enum AugmentationKind
{
    /// <summary>The images as given.</summary>
    None,

    /// <summary>Random horizontal and vertical flips, each sample on its own.</summary>
    Flips,

    /// <summary>Flips, a small rotation and scale, and a contrast and brightness jitter, each sample on its own.</summary>
    Full,
}

/// <summary>
/// Per-sample augmentation of a training batch, drawn from the run's <see cref="TrainingRandom"/> so that a resumed run
/// varies its images as the uninterrupted one did. Ranges suit MRI slices: a head lies a few degrees and a few percent
/// of its size differently from scan to scan, and scanners differ in gain and offset; a lesion is a lesion mirrored too.
/// </summary>
public static class Augmentation
{
    /// <summary>The largest rotation either way, in degrees.</summary>
    public const double MaxRotationDegrees = 15;

    /// <summary>The largest zoom in or out: sizes vary by a factor in [1 - this, 1 + this].</summary>
    public const double MaxScaleChange = 0.1;

    /// <summary>The largest contrast change (a factor in [1 - this, 1 + this]) and the largest brightness shift (this half of it, either way).</summary>
    public const double MaxIntensityChange = 0.1;

    /// <summary>
    /// Augments images [N, C, H, W] in [0, 1] and their 0/1 masks [N, 1, H, W] alike: flips exactly, rotations and scales
    /// by bilinear resampling of the image and nearest-pixel resampling of the mask (which keeps it 0/1), zero outside;
    /// intensities clamped to [0, 1]. Draws a fixed count of values a sample, in sample order.
    /// </summary>
    public static (Tensor Images, Tensor Masks) Apply(Tensor images, Tensor masks, AugmentationKind kind, TrainingRandom random)
    {
        if (kind == AugmentationKind.None) return (images, masks);
        int n = (int)images.shape[0];
        var flipX = new bool[n];
        var flipY = new bool[n];
        var theta = new float[n * 6];
        var contrast = new float[n];
        var brightness = new float[n];
        double aspect = (double)images.shape[3] / images.shape[2]; // width / height
        for (int i = 0; i < n; i++)
        {
            flipX[i] = random.Next(2) == 1;
            flipY[i] = random.Next(2) == 1;
            if (kind != AugmentationKind.Full) continue;
            double angle = random.Uniform(-MaxRotationDegrees, MaxRotationDegrees) * Math.PI / 180;
            double scale = random.Uniform(1 - MaxScaleChange, 1 + MaxScaleChange);
            contrast[i] = (float)random.Uniform(1 - MaxIntensityChange, 1 + MaxIntensityChange);
            brightness[i] = (float)random.Uniform(-MaxIntensityChange / 2, MaxIntensityChange / 2);
            // Output to input in normalised coordinates: a rotation in pixels (so non-square images do not shear), zoomed by 1 / scale.
            double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
            theta[i * 6 + 0] = (float)cos;
            theta[i * 6 + 1] = (float)(-sin / aspect);
            theta[i * 6 + 3] = (float)(sin * aspect);
            theta[i * 6 + 4] = (float)cos;
        }

        using var scope = NewDisposeScope(); // holds the intermediate tensors for their calls (see ScalarArguments)
        var x = tensor(flipX).view(n, 1, 1, 1);
        var y = tensor(flipY).view(n, 1, 1, 1);
        images = where(x, images.flip(3), images);
        masks = where(x, masks.flip(3), masks);
        images = where(y, images.flip(2), images);
        masks = where(y, masks.flip(2), masks);
        if (kind != AugmentationKind.Full) return (images.MoveToOuterDisposeScope(), masks.MoveToOuterDisposeScope());

        var grid = nn.functional.affine_grid(tensor(theta).view(n, 2, 3), images.shape, align_corners: false);
        images = nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        masks = nn.functional.grid_sample(masks, grid, GridSampleMode.Nearest, GridSamplePaddingMode.Zeros, align_corners: false);
        images = (images * tensor(contrast).view(n, 1, 1, 1)).Plus(tensor(brightness).view(n, 1, 1, 1)).ClampBetween(0, 1);
        return (images.MoveToOuterDisposeScope(), masks.MoveToOuterDisposeScope());
    }
}
