using System.Diagnostics;

namespace QuantUNet.Integer.Tests;

/// <summary>
/// src/Directory.Build.props makes every library under src/ generate its XML documentation and fails the build on a public
/// member without a comment (CS1591) or a method with some parameters documented and others not (CS1573). Checked on a
/// throwaway library that sees those props exactly as a project under src/ does: no package references, so the build
/// needs no network.
/// </summary>
[TestClass]
[DoNotParallelize] // two builds at once only compete for the same cores
public sealed class DocumentationBuildTests
{
    private const string Documented = """
        namespace DocCheck;

        /// <summary>A documented type.</summary>
        public static class Shown
        {
            /// <summary>A documented member.</summary>
            /// <param name="value">Any number.</param>
            public static int Twice(int value) => 2 * value;
        }
        """;

    /// <summary>One build for both rules: the compiler reports every missing comment, so both errors show in one run.</summary>
    [TestMethod]
    public void MissingCommentOrParamTagFailsTheBuild()
    {
        using var folder = new TempFolder("quantunet-doccheck");
        var (exitCode, output) = Build(folder, Documented + """

            /// <summary>Documented, but its members are not, or only partly.</summary>
            public static class Hidden
            {
                public static int Missing() => 1;

                /// <summary>Adds.</summary>
                /// <param name="a">One number.</param>
                public static int Add(int a, int b) => a + b;
            }
            """);

        Assert.AreNotEqual(0, exitCode, output);
        StringAssert.Contains(output, "error CS1591", output);
        StringAssert.Contains(output, "Hidden.Missing()", output);
        StringAssert.Contains(output, "error CS1573", output);
        StringAssert.Contains(output, "'b'", output);
    }

    [TestMethod]
    public void FullyDocumentedLibraryBuildsAndShipsItsXml()
    {
        using var folder = new TempFolder("quantunet-doccheck");
        var (exitCode, output) = Build(folder, Documented);

        Assert.AreEqual(0, exitCode, output);
        string xml = Path.Combine(folder.Path, "bin", "DocCheck.xml");
        Assert.IsTrue(File.Exists(xml), $"no {xml}: the documentation file is not generated\n{output}");
        StringAssert.Contains(File.ReadAllText(xml), "M:DocCheck.Shown.Twice(System.Int32)");
    }

    [TestMethod]
    public void ReferencedLibrariesShipTheirXmlBesideTheDll()
    {
        foreach (string library in new[] { "QuantUNet.Integer" })
            Assert.IsTrue(File.Exists(Path.Combine(AppContext.BaseDirectory, library + ".xml")), $"{library}.xml is not beside {library}.dll");
    }

    /// <summary>Builds a library named DocCheck (so the src/ props apply to it: only QuantUNet.Cli is exempt) from <paramref name="source"/>.</summary>
    private static (int ExitCode, string Output) Build(TempFolder folder, string source)
    {
        File.WriteAllText(folder.File("Directory.Build.props"),
            $"""<Project><Import Project="{Path.Combine(RepositoryRoot, "src", "Directory.Build.props")}" /></Project>""");
        File.WriteAllText(folder.File("DocCheck.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputPath>bin/</OutputPath>
                <AppendTargetFrameworkToOutputPath>false</AppendTargetFrameworkToOutputPath>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(folder.File("DocCheck.cs"), source);

        // No build server or node reuse: nothing outlives the test. Analyzers off: CS1591 and CS1573 are the compiler's own.
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "build", "DocCheck.csproj", "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-p:RunAnalyzers=false" })
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // About 10 CPU seconds; the wall-clock limit is generous for a loaded CI machine.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet build of the throwaway library did not finish in 10 minutes");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(directory.FullName, "QuantUNet.MLNet.sln")))
                directory = directory.Parent ?? throw new DirectoryNotFoundException($"No QuantUNet.MLNet.sln above {AppContext.BaseDirectory}.");
            return directory.FullName;
        }
    }
}
