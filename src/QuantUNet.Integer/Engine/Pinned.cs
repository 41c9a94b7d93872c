using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QuantUNet.Integer.Engine;

/// <summary>Arrays on the pinned object heap: the kernel takes their addresses without fixing them each time.</summary>
internal static unsafe class Pinned
{
    public static T[] Allocate<T>(int length) where T : unmanaged => GC.AllocateArray<T>(length, pinned: true);

    public static T[] Copy<T>(T[] source) where T : unmanaged
    {
        var copy = Allocate<T>(source.Length);
        source.CopyTo(copy, 0);
        return copy;
    }

    /// <summary>Only for arrays from <see cref="Allocate{T}"/>: they never move.</summary>
    public static T* Address<T>(T[] array) where T : unmanaged => (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
