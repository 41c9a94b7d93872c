namespace QuantUNet.Data;

/// <summary>The NIfTI-1 voxel types <see cref="NiftiVolume"/> reads, with their header <c>datatype</c> codes.</summary>
public enum NiftiDataType : short
{
    UInt8 = 2,
    Int16 = 4,
    Int32 = 8,
    Float32 = 16,
    Float64 = 64,
    UInt16 = 512,
}
