using System.Reflection;

namespace QuantUNet.MLNet.Tests;

/// <summary>Where the scoring-only example's build of this test run's configuration lies.</summary>
internal static class IntegerScoringExample
{
    public const string Name = "QuantUNet.Examples.IntegerScoring";

    /// <summary>examples/QuantUNet.Examples.IntegerScoring/bin/CONFIGURATION/net10.0 of the repository holding this test build.</summary>
    public static string OutputFolder
    {
        get
        {
            var repository = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(repository.FullName, "QuantUNet.MLNet.sln")))
                repository = repository.Parent ?? throw new DirectoryNotFoundException($"No QuantUNet.MLNet.sln above {AppContext.BaseDirectory}.");
            string configuration = typeof(IntegerScoringExample).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            return Path.Combine(repository.FullName, "examples", Name, "bin", configuration, "net10.0");
        }
    }

    public static string Dll => Path.Combine(OutputFolder, Name + ".dll");
}
