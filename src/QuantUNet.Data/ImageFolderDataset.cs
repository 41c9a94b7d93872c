namespace QuantUNet.Data;

/// <summary>
/// Loads segmentation datasets stored as image files with matching mask files, and writes samples in that form.
/// </summary>
/// <remarks>
/// Two layouts are recognised, both searched recursively for the files <see cref="InputImages"/> counts as images
/// (every format <see cref="ImageFile"/> decodes; hidden files left out; links followed, each real folder listed once):
/// <list type="bullet">
/// <item>A: an <c>images/</c> subfolder, masks in <c>masks/</c>; the mask of <c>images/R/X.png</c> is <c>masks/R/X.*</c>
/// or <c>masks/R/X_mask.*</c>.</item>
/// <item>B (when there is no <c>images/</c> subfolder): files side by side, the mask of <c>R/X.png</c> being <c>R/X_mask.*</c>,
/// as in the Kaggle LGG set (<c>patient/patient_N.tif</c> + <c>patient_N_mask.tif</c>).</item>
/// </list>
/// A sample's name is its image path relative to the image root, without extension, with '/' separators. Its group is
/// the result of <see cref="Options.GroupOf"/> on that name when given; else the image's subfolder path (per-patient
/// folders) when it has one; else the name itself, each image its own group. Samples come in ordinal order of their names.
/// What is not read is reported in <see cref="Contents.Warnings"/>: entries <see cref="InputImages"/> skips, and mask
/// files with no image.
/// </remarks>
public static class ImageFolderDataset
{
    /// <summary>"images": the image subfolder of layout A.</summary>
    public const string ImagesFolder = "images";
    /// <summary>"masks": the mask subfolder of layout A.</summary>
    public const string MasksFolder = "masks";
    /// <summary>"_mask": a mask file's name is its image's plus this (layout B, optional in layout A), e.g. X_mask.tif for X.tif.</summary>
    public const string MaskSuffix = InputImages.MaskSuffix;

    /// <summary>The pairs of a folder, and warnings about what it holds but will not be read: each a line naming the folder, a count and the first few files.</summary>
    public sealed record Contents(IReadOnlyList<ImageMaskPair> Pairs, IReadOnlyList<string> Warnings);

    /// <summary>The samples of a folder, and the warnings of <see cref="Contents"/> plus one for mask files that held data the mask rule read as empty.</summary>
    public sealed record LoadedDataset(IReadOnlyList<SegmentationSample> Samples, IReadOnlyList<string> Warnings);

    /// <summary>What to do with an image that has no mask file.</summary>
    public enum MissingMaskPolicy
    {
        /// <summary>Throw, naming the image.</summary>
        Error,

        /// <summary>Leave the image out.</summary>
        Skip,

        /// <summary>Keep the image with an all-background mask (e.g. healthy slices stored without masks).</summary>
        TreatAsEmpty,
    }

    /// <summary>How files become samples.</summary>
    public sealed class Options
    {
        /// <summary>Resize every image (high quality) and mask (nearest neighbour) to this size; null keeps file sizes.</summary>
        public ImageSize? Size { get; init; }

        /// <summary>Channels per sample, 1 (grey value) or 3 (RGB); see <see cref="ImageFile.ReadImage"/>. Default 1.</summary>
        public int Channels { get; init; } = 1;

        /// <summary>What to do with an image that has no mask; default <see cref="MissingMaskPolicy.Error"/>.</summary>
        public MissingMaskPolicy MissingMask { get; init; } = MissingMaskPolicy.Error;

        /// <summary>Maps a sample name to its group id, overriding the folder rule.</summary>
        public Func<string, string>? GroupOf { get; init; }
    }

    /// <summary>Finds the image/mask pairs under <paramref name="folder"/> without reading any pixels.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">No pairs, a missing mask (by default), an ambiguous mask, or two images with one name.</exception>
    public static IReadOnlyList<ImageMaskPair> Discover(string folder, Options? options = null) => Survey(folder, options).Pairs;

    /// <summary>As <see cref="Discover"/>, with warnings about what the folder holds that is not read.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">As <see cref="Discover"/>.</exception>
    public static Contents Survey(string folder, Options? options = null)
    {
        options ??= new Options();
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: dataset folder not found.");
        string imageRoot = Path.Combine(folder, ImagesFolder), maskRoot = Path.Combine(folder, MasksFolder);
        // An images/ folder alone still means layout A: its images then simply have no masks.
        bool separateFolders = Directory.Exists(imageRoot);
        if (!separateFolders)
            imageRoot = maskRoot = folder;

        var skipped = new List<InputImages.SkippedEntry>();
        var masks = Directory.Exists(maskRoot) ? IndexByName(maskRoot, skipped) : [];
        var pairedMasks = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new List<ImageMaskPair>();
        foreach (var (name, files) in separateFolders ? IndexByName(imageRoot, skipped) : masks)
        {
            if (!separateFolders && name.EndsWith(MaskSuffix, StringComparison.Ordinal))
                continue;
            if (files.Count > 1)
                throw new InvalidDataException($"{files[0]}: several images share the name '{name}': {string.Join(", ", files)}.");
            string image = files[0];
            string[] maskNames = separateFolders ? [name, name + MaskSuffix] : [name + MaskSuffix];
            var candidates = maskNames.SelectMany(n => masks.GetValueOrDefault(n) ?? []).ToList();
            pairedMasks.UnionWith(candidates);
            if (candidates.Count > 1)
                throw new InvalidDataException($"{image}: several mask files match: {string.Join(", ", candidates)}.");
            if (candidates.Count == 0)
            {
                if (options.MissingMask == MissingMaskPolicy.Error)
                    throw new InvalidDataException(
                        $"{image}: no mask file found (looked for {string.Join(" or ", maskNames.Select(n => Path.Combine(maskRoot, n) + ".*"))}).");
                if (options.MissingMask == MissingMaskPolicy.Skip)
                    continue;
            }
            pairs.Add(new ImageMaskPair(name, GroupOf(name, options), image, candidates.FirstOrDefault()));
        }
        if (pairs.Count == 0)
            throw new InvalidDataException(
                $"{folder}: found no image/mask pairs. Expected {ImagesFolder}/ and {MasksFolder}/ subfolders with matching names, "
                + $"or X.png next to X{MaskSuffix}.png; extensions {string.Join(", ", InputImages.Extensions)}.");
        var warnings = new List<string>();
        if (new InputImages.Listing([], skipped).SkippedSummary(folder) is { } skippedWarning) warnings.Add(skippedWarning);
        var orphans = masks.Values.SelectMany(files => files)
            .Where(file => !pairedMasks.Contains(file) && (separateFolders || Path.GetFileNameWithoutExtension(file).EndsWith(MaskSuffix, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        if (orphans.Count > 0)
            warnings.Add($"{folder}: {InputImages.Count(orphans.Count, "mask file has", "mask files have")} no image and {(orphans.Count == 1 ? "is" : "are")} not read: {InputImages.FirstFew(orphans)}.");
        return new Contents(pairs, warnings);
    }

    /// <summary>Discovers the pairs under <paramref name="folder"/> and reads them into validated samples.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Discover"/>, or a file is not a readable image, or an image
    /// and its mask differ in size when no <see cref="Options.Size"/> is set.</exception>
    public static IReadOnlyList<SegmentationSample> Load(string folder, Options? options = null) => LoadWithWarnings(folder, options).Samples;

    /// <summary>As <see cref="Load"/>, with the warnings of <see cref="LoadedDataset"/> for the caller to show.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Load"/>.</exception>
    public static LoadedDataset LoadWithWarnings(string folder, Options? options = null)
    {
        options ??= new Options();
        var contents = Survey(folder, options);
        var readAsEmpty = new List<string>();
        var samples = contents.Pairs.Select(pair => Read(pair, options, readAsEmpty)).ToList();
        var warnings = contents.Warnings.ToList();
        if (readAsEmpty.Count > 0)
            warnings.Add($"{folder}: {InputImages.Count(readAsEmpty.Count, "mask file holds", "mask files hold")} non-zero values that the mask rule reads as empty "
                + $"(a multi-class label map, or foreground darker than half the scale?): {InputImages.FirstFew(readAsEmpty)}.");
        return new LoadedDataset(samples, warnings);
    }

    /// <summary>
    /// The channel count the images under <paramref name="folder"/> call for: 3 when they are colour files, 1 when grey,
    /// as <see cref="ImageFile.DeclaredChannels"/> reads their headers (no pixel is decoded). Masks are not looked at.
    /// </summary>
    /// <exception cref="InvalidDataException">As <see cref="Discover"/>, or the folder holds both grey and colour images:
    /// the message names one of each, since one model takes one channel count.</exception>
    public static int DetectChannels(string folder, Options? options = null)
    {
        string? grey = null, colour = null;
        foreach (var pair in Discover(folder, options))
        {
            if (ImageFile.DeclaredChannels(pair.ImagePath) == 1) grey ??= pair.ImagePath;
            else colour ??= pair.ImagePath;
            if (grey is not null && colour is not null)
                throw new InvalidDataException(
                    $"{folder}: mixes grey and colour images (grey: {grey}; colour: {colour}); one model reads one channel count, "
                    + "so convert the images to one kind or choose the channel count explicitly (3 repeats a grey image in each channel).");
        }
        return colour is not null ? 3 : 1;
    }

    /// <summary>
    /// Writes samples in layout A: <c>images/NAME.png</c> (grey or RGB) and <c>masks/NAME.png</c> (0/255), each file
    /// written atomically. Names may contain '/' for subfolders but must stay inside <paramref name="folder"/>.
    /// </summary>
    public static void Write(IEnumerable<SegmentationSample> samples, string folder)
    {
        string imageRoot = Path.GetFullPath(Path.Combine(folder, ImagesFolder));
        string maskRoot = Path.GetFullPath(Path.Combine(folder, MasksFolder));
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sample in samples)
        {
            sample.Validate();
            if (!written.Add(sample.Name))
                throw new ArgumentException($"Two samples are named '{sample.Name}'; the second would overwrite the first's files.", nameof(samples));
            ImageFile.WriteImage(
                FileUnder(imageRoot, sample.Name),
                new PlanarImage(sample.Channels, sample.Height, sample.Width, sample.Image));
            ImageFile.WriteMask(FileUnder(maskRoot, sample.Name), new BinaryMask(sample.Height, sample.Width, sample.Mask));
        }
    }

    private static SegmentationSample Read(ImageMaskPair pair, Options options, List<string> readAsEmpty)
    {
        var image = ImageFile.ReadImage(pair.ImagePath, options.Channels, options.Size);
        var mask = pair.MaskPath is null
            ? new BinaryMask(image.Height, image.Width, new byte[image.Height * image.Width])
            : ImageFile.ReadMask(pair.MaskPath, options.Size);
        if (mask.DataReadAsEmpty) readAsEmpty.Add(pair.MaskPath!);
        if (mask.Height != image.Height || mask.Width != image.Width)
            throw new InvalidDataException(
                $"{pair.MaskPath}: mask is {mask.Height}x{mask.Width} but its image {pair.ImagePath} is {image.Height}x{image.Width}; "
                + "set a target size to resize both.");
        return new SegmentationSample(pair.Name, pair.GroupId, image.Channels, image.Height, image.Width, image.Pixels, mask.Pixels).Validate();
    }

    /// <summary>Image files under <paramref name="root"/>, keyed by relative path without extension, in ordinal order; what is skipped goes to <paramref name="skipped"/>.</summary>
    private static SortedDictionary<string, List<string>> IndexByName(string root, List<InputImages.SkippedEntry> skipped)
    {
        var index = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var listing = InputImages.List(root);
        skipped.AddRange(listing.Skipped);
        // Sorted (by the listing) so files clashing on one name are listed in the same order on every run and file system.
        foreach (var file in listing.Files)
        {
            string relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            string name = relative[..^Path.GetExtension(relative).Length];
            if (!index.TryGetValue(name, out var files))
                index[name] = files = [];
            files.Add(file);
        }
        return index;
    }

    private static string GroupOf(string name, Options options)
    {
        if (options.GroupOf is { } groupOf)
            return groupOf(name);
        int slash = name.LastIndexOf('/');
        return slash < 0 ? name : name[..slash];
    }

    private static string FileUnder(string root, string name)
    {
        string path = Path.GetFullPath(Path.Combine(root, name + ".png"));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Sample name '{name}' would write outside {root}.");
        return path;
    }
}
