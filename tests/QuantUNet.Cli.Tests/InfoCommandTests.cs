namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class InfoCommandTests
{
    /// <summary>
    /// TorchSharp must start in a brand-new process with no manual step: on Debian 12 through the
    /// patched native copy, on newer systems as shipped.
    /// </summary>
    [TestMethod]
    public void TorchStartsInAFreshProcess()
    {
        var result = CommandRunner.Run("info");
        Assert.AreEqual(0, result.ExitCode, result.Output + result.Error);
        StringAssert.Contains(result.Output, "torch: ok (ones(2,3).sum() = 6)");
        if (OperatingSystem.IsLinux() && !SystemLibstdcxxHas("GLIBCXX_3.4.32"))
            StringAssert.Contains(result.Output, "patched: True");
        else
            StringAssert.Contains(result.Output, "patched: False");
    }

    private static bool SystemLibstdcxxHas(string version)
    {
        var library = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
        return library is not null && System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(library)).Contains(version + "\0");
    }
}
