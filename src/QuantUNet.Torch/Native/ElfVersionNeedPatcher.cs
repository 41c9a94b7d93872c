using System.Buffers.Binary;
using System.Text;

namespace QuantUNet.Torch.Native;

/// <summary>
/// Rewrites one symbol-version requirement in a 64-bit little-endian ELF shared library
/// (an entry of its <c>.gnu.version_r</c> section), so that a library built against a newer
/// libstdc++ loads on an older one when the newer version is required only nominally.
/// </summary>
internal static class ElfVersionNeedPatcher
{
    private const uint SectionTypeVersionNeed = 0x6ffffffe; // SHT_GNU_verneed

    /// <summary>
    /// Replaces every requirement named <paramref name="from"/> by <paramref name="to"/> (same length)
    /// and returns how many it replaced. The name is rewritten in the string table and the
    /// entry's ELF hash updated, since the dynamic loader compares both.
    /// </summary>
    public static int Replace(byte[] elf, string from, string to)
    {
        if (from.Length != to.Length)
            throw new ArgumentException("Version names must have the same length to be rewritten in place.");
        var span = elf.AsSpan();
        if (elf.Length < 64 || !span[..4].SequenceEqual("\u007fELF"u8) || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Not a 64-bit little-endian ELF file.");

        var sectionTable = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var fromBytes = Encoding.ASCII.GetBytes(from);
        var toBytes = Encoding.ASCII.GetBytes(to);
        int replaced = 0;

        for (int i = 0; i < sectionCount; i++)
        {
            var header = span.Slice(sectionTable + i * entrySize, entrySize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != SectionTypeVersionNeed) continue;

            int need = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]));
            int linkedStrings = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            var stringsHeader = span.Slice(sectionTable + linkedStrings * entrySize, entrySize);
            int strings = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(stringsHeader[0x18..]));

            while (true)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                int aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (int k = 0; k < auxCount; k++)
                {
                    int name = strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    var nameBytes = span[name..];
                    if (nameBytes[..fromBytes.Length].SequenceEqual(fromBytes) && nameBytes[fromBytes.Length] == 0)
                    {
                        toBytes.CopyTo(nameBytes);
                        BinaryPrimitives.WriteUInt32LittleEndian(span[aux..], Hash(toBytes));
                        replaced++;
                    }
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
                if (next == 0) break;
                need += (int)next;
            }
        }
        return replaced;
    }

    /// <summary>The System V ELF hash the loader stores beside each version name.</summary>
    internal static uint Hash(ReadOnlySpan<byte> name)
    {
        uint h = 0;
        foreach (var c in name)
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }
}
