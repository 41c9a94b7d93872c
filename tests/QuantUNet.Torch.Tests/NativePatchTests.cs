using System.Text;
using QuantUNet.Torch.Native;

namespace QuantUNet.Torch.Tests;

[TestClass]
public sealed class NativePatchTests
{
    private static string ShippedLibrary() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [TestMethod]
    public void RenamesTheOneGlibcxx332RequirementOfTorchSharpsLibrary()
    {
        var path = ShippedLibrary();
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("The library is a Linux ELF file.");
        var bytes = File.ReadAllBytes(path);
        var original = (byte[])bytes.Clone();

        Assert.AreEqual(1, ElfVersionNeedPatcher.Replace(bytes, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30"));
        Assert.AreEqual(0, ElfVersionNeedPatcher.Replace(bytes, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30"), "nothing left to rename");
        int changed = bytes.Zip(original).Count(p => p.First != p.Second);
        Assert.IsLessThanOrEqualTo(5, changed, "only one character of the name and the 4-byte hash may change");
        Assert.AreEqual(CountOccurrences(original, "GLIBCXX_3.4.32") - 1, CountOccurrences(bytes, "GLIBCXX_3.4.32"));
    }

    [TestMethod]
    public void ComputesTheSystemVElfHash()
    {
        // 0x09691a75 is what every x86-64 binary linked against glibc stores for GLIBC_2.2.5.
        Assert.AreEqual(0u, ElfVersionNeedPatcher.Hash(""u8));
        Assert.AreEqual(0x09691a75u, ElfVersionNeedPatcher.Hash("GLIBC_2.2.5"u8));
    }

    [TestMethod]
    public void RefusesAFileThatIsNotElf()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeedPatcher.Replace(new byte[100], "A", "B"));
        StringAssert.Contains(error.Message, "ELF");
    }

    private static int CountOccurrences(byte[] haystack, string needle)
    {
        var pattern = Encoding.ASCII.GetBytes(needle);
        int count = 0;
        for (int i = haystack.AsSpan().IndexOf(pattern); i >= 0;)
        {
            count++;
            int next = haystack.AsSpan(i + 1).IndexOf(pattern);
            i = next < 0 ? -1 : i + 1 + next;
        }
        return count;
    }
}
