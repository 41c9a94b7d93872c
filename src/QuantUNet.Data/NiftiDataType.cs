namespace QuantUNet.Data;

/// <summary>The NIfTI-1 voxel types <see cref="NiftiVolume"/> reads, with their header <c>datatype</c> codes.</summary>
public enum NiftiDataType : short
{
    /// <summary>Unsigned 8-bit integers (code 2).</summary>
    UInt8 = 2,
    /// <summary>Signed 16-bit integers (code 4).</summary>
    Int16 = 4,
    /// <summary>Signed 32-bit integers (code 8).</summary>
    Int32 = 8,
    /// <summary>32-bit floats (code 16).</summary>
    Float32 = 16,
    /// <summary>64-bit floats (code 64), read as float32.</summary>
    Float64 = 64,
    /// <summary>Unsigned 16-bit integers (code 512).</summary>
    UInt16 = 512,
}
