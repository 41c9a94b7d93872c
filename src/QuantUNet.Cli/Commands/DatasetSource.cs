using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using QuantUNet.Data;

namespace QuantUNet.Cli.Commands;

/// <summary>
/// Where train and evaluate read their slices: a folder of image and mask files (each subfolder a patient), or a
/// NIfTI-1 image volume sliced along an axis, its masks taken from a label volume by a label rule and its groups
/// being slabs of neighbouring slices (so a split never puts adjacent slices on both sides).
/// </summary>
/// <param name="Path">The dataset folder, or the image volume (<c>.nii</c>, <c>.nii.gz</c>).</param>
/// <param name="Labels">The label volume of a NIfTI dataset; null for a folder.</param>
/// <param name="Label">The label rule as typed: <c>&gt;0</c>, one value (<c>37</c>) or a list (<c>37,38</c>).</param>
internal sealed record DatasetSource(string Path, string? Labels, string Label, int Axis, int Slab)
{
    private const string PositiveRule = ">0";

    /// <summary>
    /// Percentiles of a volume's voxels mapped to 0 and 1: robust to a few extreme voxels, which plain min/max scaling
    /// is not (a second scanner's brain-extraction Dice went from 0.25 to 0.68 with them).
    /// </summary>
    private static readonly double[] VolumePercentiles = [0.5, 99.5];

    [JsonIgnore]
    public bool IsVolume => IsNiftiFile(Path);

    /// <summary>How a volume's intensities were scaled to [0, 1], for train.json; null for image folders.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? IntensityPercentiles => IsVolume ? VolumePercentiles : null;

    /// <summary>The options of a dataset, added to a command.</summary>
    public sealed class Options
    {
        public Option<FileSystemInfo> Data { get; } = new("--data")
        {
            Description = "Dataset: a folder (images/ + masks/, X.png + X_mask.png, or the LGG layout <patient>/<patient>_N.tif + _N_mask.tif; " +
                          "each subfolder is a patient), or a NIfTI-1 image volume (.nii, .nii.gz) with --labels.",
            Required = true,
            CustomParser = result => FileOrFolder(result.Tokens[0].Value),
        };

        public Option<FileInfo> Labels { get; } = new("--labels")
        {
            Description = "NIfTI label volume on the image volume's grid (the image volume itself for a skull-stripped brain).",
        };

        public Option<string> Label { get; } = new("--label")
        {
            Description = "Which label values are foreground: >0, one value (37) or a comma-separated list (37,38).",
            DefaultValueFactory = _ => PositiveRule,
        };

        public Option<int> Axis { get; } = new("--axis")
        {
            Description = "NIfTI array axis to slice along: 0, 1 or 2 (2: axial in the usual storage order).",
            DefaultValueFactory = _ => 2,
        };

        public Option<int> Slab { get; } = new("--slab")
        {
            Description = "NIfTI slices per group: neighbouring slices stay on one side of a split.",
            DefaultValueFactory = _ => 8,
        };

        /// <summary>Puts the dataset options first in <paramref name="command"/>'s help, where a user looks for them.</summary>
        public void AddTo(Command command)
        {
            Option[] options = [Data, Labels, Label, Axis, Slab];
            for (int i = 0; i < options.Length; i++) command.Options.Insert(i, options[i]);
        }

        public DatasetSource Read(ParseResult parse)
        {
            var source = new DatasetSource(parse.GetValue(Data)!.FullName, parse.GetValue(Labels)?.FullName, parse.GetValue(Label)!,
                DatasetOptions.CheckRange(parse.GetValue(Axis), 0, 2, "--axis", "the NIfTI array axis"),
                DatasetOptions.CheckRange(parse.GetValue(Slab), 1, int.MaxValue, "--slab", "the slices per group"));
            if (source.IsVolume && source.Labels is null)
                throw new ArgumentException($"{source.Path}: a NIfTI volume needs --labels, the label volume its masks come from.");
            if (!source.IsVolume && source.Labels is not null)
                throw new ArgumentException($"--labels {source.Labels}: label volumes go with a NIfTI --data volume, not with the folder {source.Path}.");
            source.Rule();
            return source;
        }

        private static FileSystemInfo FileOrFolder(string path) => IsNiftiFile(path) ? new FileInfo(path) : new DirectoryInfo(path);
    }

    /// <summary>
    /// Reads every slice, resized to <paramref name="size"/>, as <paramref name="channels"/>-channel images, and shows the
    /// reader's warnings on stderr (what was skipped, masks without an image, masks whose data the rule read as empty) or,
    /// when <paramref name="strict"/>, fails on the first.
    /// </summary>
    /// <exception cref="ArgumentException">A grey NIfTI volume was asked for as RGB.</exception>
    /// <exception cref="InvalidDataException">The data cannot be read, or it has a warning and <paramref name="strict"/> is set.</exception>
    public IReadOnlyList<SegmentationSample> Load(ImageSize size, int channels, bool strict = false)
    {
        if (!IsVolume)
        {
            var loaded = ImageFolderDataset.LoadWithWarnings(Path, new ImageFolderDataset.Options { Size = size, Channels = channels });
            if (strict && loaded.Warnings.Count > 0)
                throw new InvalidDataException($"{loaded.Warnings[0].TrimEnd('.')}; --strict makes this an error.");
            foreach (var warning in loaded.Warnings)
                Console.Error.WriteLine($"quantunet: warning: {warning}");
            return loaded.Samples;
        }
        if (channels != 1)
            throw new ArgumentException($"{Path}: NIfTI volumes are read as grey slices; use --channels 1.");
        return NiftiSliceDataset.Load(Path, Labels!, Rule(), new NiftiSliceDataset.Options
        {
            Axis = Axis, SlabThickness = Slab, Size = size, LowerPercentile = VolumePercentiles[0], UpperPercentile = VolumePercentiles[1],
        });
    }

    /// <summary>"K of them with an empty mask", for the line that says what was read.</summary>
    public static string EmptyMasks(IReadOnlyCollection<SegmentationSample> samples) =>
        $"{samples.Count(sample => !sample.HasForeground)} of them with an empty mask";

    /// <summary>The channels a model of this data reads: a folder's as its images declare them, 1 for a (grey) NIfTI volume.</summary>
    /// <exception cref="InvalidDataException">The folder mixes grey and colour images, or one cannot be read.</exception>
    public int Channels() => IsVolume ? 1 : ImageFolderDataset.DetectChannels(Path);

    /// <summary>The label rule <see cref="Label"/> describes.</summary>
    /// <exception cref="ArgumentException">It is neither &gt;0 nor a list of integers.</exception>
    public LabelRule Rule()
    {
        var text = Label.Replace(" ", "", StringComparison.Ordinal);
        if (text == PositiveRule) return LabelRule.Positive;
        var values = text.Split(',');
        var labels = new List<int>();
        foreach (var value in values)
        {
            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int label))
                throw new ArgumentException($"--label {Label}: write >0, one integer label (37) or a comma-separated list (37,38).");
            labels.Add(label);
        }
        return labels.Count == 1 ? LabelRule.Value(labels[0]) : LabelRule.AnyOf(labels);
    }

    private static bool IsNiftiFile(string path) =>
        path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);
}
