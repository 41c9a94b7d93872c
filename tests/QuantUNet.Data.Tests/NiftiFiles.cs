using System.IO.Compression;

namespace QuantUNet.Data.Tests;

/// <summary>Writes small NIfTI-1 files byte by byte, so every header field the reader uses is under the test's control.</summary>
internal static class NiftiFiles
{
    public sealed record Header
    {
        public NiftiDataType DataType { get; init; } = NiftiDataType.UInt8;

        public bool BigEndian { get; init; }

        /// <summary>Gzip the file, as .nii.gz files are.</summary>
        public bool Gzip { get; init; }

        public float Slope { get; init; }

        public float Intercept { get; init; }

        public float[] VoxelSizes { get; init; } = [1, 1, 1];

        /// <summary>dim[0..7] as stored; by default derived from the dimensions passed to <see cref="Write"/>.</summary>
        public short[]? RawDims { get; init; }

        /// <summary>The datatype code stored, when it should differ from <see cref="DataType"/>.</summary>
        public short? RawDataType { get; init; }

        public string Magic { get; init; } = "n+1\0";
    }

    /// <summary>Writes stored (unscaled) voxel values, i fastest, converted to the header's datatype.</summary>
    public static void Write(string path, int[] dims, double[] stored, Header header)
    {
        int size = BytesPer(header.DataType), offset = 352;
        var bytes = new byte[offset + stored.Length * size];
        var file = bytes.AsSpan();
        bool big = header.BigEndian;
        Put(file[0..], BitConverter.GetBytes(348), big);
        short[] rawDims = header.RawDims ?? [3, (short)dims[0], (short)dims[1], (short)dims[2], 1, 1, 1, 1];
        for (int i = 0; i < 8; i++)
            Put(file[(40 + 2 * i)..], BitConverter.GetBytes(rawDims[i]), big);
        Put(file[70..], BitConverter.GetBytes(header.RawDataType ?? (short)header.DataType), big);
        Put(file[72..], BitConverter.GetBytes((short)(8 * size)), big);
        for (int i = 0; i < 3; i++)
            Put(file[(80 + 4 * i)..], BitConverter.GetBytes(header.VoxelSizes[i]), big);
        Put(file[108..], BitConverter.GetBytes((float)offset), big);
        Put(file[112..], BitConverter.GetBytes(header.Slope), big);
        Put(file[116..], BitConverter.GetBytes(header.Intercept), big);
        System.Text.Encoding.ASCII.GetBytes(header.Magic).CopyTo(file[344..]);
        for (int i = 0; i < stored.Length; i++)
            Put(file[(offset + i * size)..], Voxel(header.DataType, stored[i]), big);

        if (!header.Gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var output = File.Create(path);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    private static int BytesPer(NiftiDataType type) => Voxel(type, 0).Length;

    /// <summary>A voxel's bytes in the machine's (little-endian) order.</summary>
    private static byte[] Voxel(NiftiDataType type, double value) => type switch
    {
        NiftiDataType.UInt8 => [(byte)value],
        NiftiDataType.Int16 => BitConverter.GetBytes((short)value),
        NiftiDataType.UInt16 => BitConverter.GetBytes((ushort)value),
        NiftiDataType.Int32 => BitConverter.GetBytes((int)value),
        NiftiDataType.Float32 => BitConverter.GetBytes((float)value),
        _ => BitConverter.GetBytes(value),
    };

    private static void Put(Span<byte> target, byte[] littleEndian, bool bigEndian)
    {
        if (bigEndian)
            Array.Reverse(littleEndian);
        littleEndian.CopyTo(target);
    }
}
