using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;

namespace QuantUNet.Data;

/// <summary>
/// A 3-D NIfTI-1 volume read from a single file (<c>.nii</c>, or gzipped <c>.nii.gz</c>), its voxels as floats.
/// </summary>
/// <remarks>
/// Reads the header fields a voxel grid needs (dim at byte 40, datatype 70, bitpix 72, pixdim 76, vox_offset 108,
/// scl_slope 112, scl_inter 116, magic "n+1" at 344) in either byte order, told apart by sizeof_hdr = 348; gzip is
/// recognised by its first bytes, whatever the extension. Voxel types: see <see cref="NiftiDataType"/>. When scl_slope
/// is finite and non-zero every voxel becomes value x scl_slope + scl_inter, as NIfTI-1 prescribes. Voxels are kept as
/// 32-bit floats, so int32 values beyond 2^24 are rounded. The orientation (qform/sform) is not applied: axes are the
/// array's i, j, k. Header-and-image pairs (.hdr/.img), Analyze 7.5, NIfTI-2 and 4-D series are refused.
/// </remarks>
public sealed class NiftiVolume
{
    /// <summary>
    /// The largest volume read, in voxels (512 x 512 x 512). Checked from the header's dimensions before the voxels are
    /// read or a gzipped file is inflated past its header, so a forged header cannot exhaust memory.
    /// </summary>
    public const long MaxVoxels = 512L * 512 * 512;

    private const int HeaderSize = 348;

    private NiftiVolume(string path, int[] dimensions, float[] voxelSizes, NiftiDataType dataType, float[] voxels)
    {
        Path = path;
        Dimensions = dimensions;
        VoxelSizes = voxelSizes;
        DataType = dataType;
        Voxels = voxels;
    }

    /// <summary>The file the volume was read from.</summary>
    public string Path { get; }

    /// <summary>The file name without <c>.nii</c> or <c>.nii.gz</c>, used to name slices.</summary>
    public string Name => NameOf(Path);

    /// <summary>Voxel counts along the array axes i, j, k (dim[1..3]); a 2-D file has one voxel along k.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Voxel spacing along i, j, k as the header states it (pixdim[1..3], usually mm), sign dropped.</summary>
    public IReadOnlyList<float> VoxelSizes { get; }

    /// <summary>How the voxels were stored in the file.</summary>
    public NiftiDataType DataType { get; }

    /// <summary>All voxels, i fastest: voxel (i, j, k) is at i + Dimensions[0] x (j + Dimensions[1] x k); scaling applied.</summary>
    public float[] Voxels { get; }

    /// <summary>The voxel at (i, j, k), scaling applied.</summary>
    /// <param name="i">Index along the first axis, the fastest in <see cref="Voxels"/>.</param>
    /// <param name="j">Index along the second axis.</param>
    /// <param name="k">Index along the third axis (the slice).</param>
    public float this[int i, int j, int k] => Voxels[i + Dimensions[0] * (j + Dimensions[1] * k)];

    /// <summary>The file name without <c>.nii.gz</c> or <c>.nii</c> (any case), else without its last extension.</summary>
    private static string NameOf(string path)
    {
        string file = System.IO.Path.GetFileName(path);
        foreach (var suffix in (string[])[".nii.gz", ".nii"])
            if (file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                return file[..^suffix.Length];
        return System.IO.Path.GetFileNameWithoutExtension(file);
    }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Empty, corrupt gzip, not NIfTI-1, an unsupported datatype or dimension,
    /// or fewer voxel bytes than the header announces; the message names the file.</exception>
    public static NiftiVolume Read(string path)
    {
        var bytes = Contents(path);
        if (bytes.Length < HeaderSize)
            throw Bad(path, $"{bytes.Length} bytes are too few for a {HeaderSize}-byte NIfTI-1 header");
        var header = new Header(bytes, path);
        string magic = System.Text.Encoding.ASCII.GetString(bytes, 344, 4);
        if (magic == "ni1\0")
            throw Bad(path, "this is the header of a .hdr/.img pair; only single-file NIfTI-1 (magic \"n+1\") is read");
        if (magic != "n+1\0")
            throw Bad(path, "no NIfTI-1 magic \"n+1\" at byte 344 (Analyze 7.5 files are not read)");

        var dimensions = header.Dimensions();
        var dataType = header.DataType();
        int voxelBytes = VoxelBytes(dataType);
        if (header.Int16(72) != 8 * voxelBytes)
            throw Bad(path, $"bitpix {header.Int16(72)} does not match datatype {dataType}");
        float offset = header.Single(108);
        if (!(offset >= HeaderSize) || offset != MathF.Floor(offset))
            throw Bad(path, $"vox_offset {offset} is not a whole byte offset past the header");
        long count = VoxelCount(dimensions, path);
        long available = bytes.Length - (long)offset;
        if (available < count * voxelBytes)
            throw Bad(path, $"truncated: {Math.Max(available, 0)} bytes of voxel data after byte {offset}, "
                + $"{count * voxelBytes} needed for {dimensions[0]}x{dimensions[1]}x{dimensions[2]} {dataType} voxels");

        var data = bytes.AsSpan((int)offset, (int)count * voxelBytes);
        if (header.BigEndian == BitConverter.IsLittleEndian)
            SwapBytes(data, voxelBytes);
        var (slope, intercept) = (header.Single(112), header.Single(116));
        bool scaled = float.IsFinite(slope) && slope != 0;
        if (scaled && !float.IsFinite(intercept))
            throw Bad(path, $"scl_inter {intercept} is not a finite number");
        var scaling = scaled ? (slope, intercept) : (1f, 0f);
        var voxels = dataType switch
        {
            NiftiDataType.UInt8 => Scale<byte>(data, scaling),
            NiftiDataType.Int16 => Scale<short>(data, scaling),
            NiftiDataType.UInt16 => Scale<ushort>(data, scaling),
            NiftiDataType.Int32 => Scale<int>(data, scaling),
            NiftiDataType.Float32 => Scale<float>(data, scaling),
            _ => Scale<double>(data, scaling),
        };
        return new NiftiVolume(path, dimensions, header.VoxelSizes(), dataType, voxels);
    }

    private static byte[] Contents(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: NIfTI file not found.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw Bad(path, "the file is empty (0 bytes)");
        if (bytes is not [0x1F, 0x8B, ..])
            return bytes;
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var contents = new MemoryStream();
        // The header first: its dimensions bound the rest, so a small file cannot inflate without limit.
        Inflate(gzip, contents, HeaderSize, path);
        if (contents.Length == HeaderSize)
            Inflate(gzip, contents, DeclaredLength(contents.ToArray(), path) - HeaderSize, path);
        return contents.ToArray();
    }

    /// <summary>Copies at most <paramref name="count"/> inflated bytes.</summary>
    private static void Inflate(GZipStream gzip, MemoryStream destination, long count, string path)
    {
        var buffer = new byte[81920];
        try
        {
            for (int read; count > 0 && (read = gzip.Read(buffer, 0, (int)Math.Min(buffer.Length, count))) > 0; count -= read)
                destination.Write(buffer, 0, read);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"the gzip data is corrupt ({e.Message})", e);
        }
    }

    /// <summary>
    /// The file length the header announces (header, extensions, voxels), after refusing a volume over <see cref="MaxVoxels"/>;
    /// just the header when its voxel offset is invalid, which <see cref="Read"/> then reports.
    /// </summary>
    private static long DeclaredLength(byte[] headerBytes, string path)
    {
        var header = new Header(headerBytes, path);
        long count = VoxelCount(header.Dimensions(), path);
        float offset = header.Single(108);
        return offset >= HeaderSize && offset <= int.MaxValue ? (long)offset + count * VoxelBytes(header.DataType()) : HeaderSize;
    }

    private static long VoxelCount(int[] dimensions, string path)
    {
        long count = (long)dimensions[0] * dimensions[1] * dimensions[2];
        if (count > MaxVoxels)
            throw Bad(path, $"the volume is {dimensions[0]}x{dimensions[1]}x{dimensions[2]} ({count} voxels), more than the {MaxVoxels} (512x512x512) read; "
                + "refused before reading its voxels");
        return count;
    }

    private static int VoxelBytes(NiftiDataType type) => type switch
    {
        NiftiDataType.UInt8 => 1,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 2,
        NiftiDataType.Int32 or NiftiDataType.Float32 => 4,
        _ => 8,
    };

    private static void SwapBytes(Span<byte> data, int voxelBytes)
    {
        switch (voxelBytes)
        {
            case 2:
                var shorts = MemoryMarshal.Cast<byte, ushort>(data);
                BinaryPrimitives.ReverseEndianness(shorts, shorts);
                break;
            case 4:
                var ints = MemoryMarshal.Cast<byte, uint>(data);
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
            case 8:
                var longs = MemoryMarshal.Cast<byte, ulong>(data);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
        }
    }

    private static float[] Scale<T>(ReadOnlySpan<byte> data, (float Slope, float Intercept) scaling) where T : unmanaged, INumberBase<T>
    {
        var raw = MemoryMarshal.Cast<byte, T>(data);
        var voxels = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++)
            voxels[i] = (float)(double.CreateTruncating(raw[i]) * scaling.Slope + scaling.Intercept);
        return voxels;
    }

    private static InvalidDataException Bad(string path, string reason, Exception? inner = null) =>
        new($"{path}: cannot read this NIfTI-1 volume: {reason}.", inner);

    /// <summary>The header fields, read in the byte order sizeof_hdr reveals.</summary>
    private readonly struct Header
    {
        private readonly byte[] bytes;
        private readonly string path;

        public Header(byte[] bytes, string path)
        {
            this.bytes = bytes;
            this.path = path;
            int little = BinaryPrimitives.ReadInt32LittleEndian(bytes), big = BinaryPrimitives.ReadInt32BigEndian(bytes);
            if (little != HeaderSize && big != HeaderSize)
                throw Bad(path, $"sizeof_hdr is {little}, not {HeaderSize}"
                    + (little == 540 || big == 540 ? " (this looks like NIfTI-2, which is not read)" : ""));
            BigEndian = big == HeaderSize;
        }

        public bool BigEndian { get; }

        public short Int16(int offset) =>
            BigEndian ? BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(offset)) : BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(offset));

        public float Single(int offset) =>
            BigEndian ? BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(offset)) : BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset));

        /// <summary>dim[1..3], with 1 for axes a 1- or 2-D file lacks; higher axes must be 1.</summary>
        public int[] Dimensions()
        {
            int rank = Int16(40);
            if (rank is < 1 or > 7)
                throw Bad(path, $"dim[0] is {rank}, not a rank between 1 and 7");
            var dims = new int[rank];
            for (int axis = 0; axis < rank; axis++)
            {
                dims[axis] = Int16(42 + 2 * axis);
                if (dims[axis] < 1)
                    throw Bad(path, $"dim[{axis + 1}] is {dims[axis]}");
            }
            if (dims.Skip(3).Any(d => d > 1))
                throw Bad(path, $"it is {rank}-D ({string.Join("x", dims)}); only 3-D volumes are read");
            return [.. dims.Concat([1, 1]).Take(3)];
        }

        public NiftiDataType DataType()
        {
            short code = Int16(70);
            return Enum.IsDefined((NiftiDataType)code)
                ? (NiftiDataType)code
                : throw Bad(path, $"datatype {code} is not supported (only {string.Join(", ", Enum.GetValues<NiftiDataType>().Select(t => $"{t} ({(short)t})"))})");
        }

        /// <summary>pixdim[1..3], sign dropped (some writers store a negative pixdim to flip an axis).</summary>
        public float[] VoxelSizes() => [MathF.Abs(Single(80)), MathF.Abs(Single(84)), MathF.Abs(Single(88))];
    }
}
