namespace QuantUNet.Data;

/// <summary>An image file found in a dataset folder, with its mask file (null when it has none and that is allowed).</summary>
/// <param name="Name">The image's path relative to the image root, without extension, with '/' separators.</param>
/// <param name="GroupId">The patient or volume the image belongs to.</param>
/// <param name="ImagePath">The image file's full path.</param>
/// <param name="MaskPath">The mask file's full path; null when the image has none.</param>
public sealed record ImageMaskPair(string Name, string GroupId, string ImagePath, string? MaskPath);
