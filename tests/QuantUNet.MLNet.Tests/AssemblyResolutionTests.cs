using Microsoft.ML;

namespace QuantUNet.MLNet.Tests;

/// <summary>The process-wide AssemblyResolve handler answers for this project's assemblies and their exact references only.</summary>
[TestClass]
public sealed class AssemblyResolutionTests
{
    [TestMethod]
    public void AnswersForThisProjectsAssemblies()
    {
        var ours = typeof(SegmentationCatalog).Assembly;

        Assert.AreSame(ours, AssemblyResolution.Resolve(null, new ResolveEventArgs(ours.FullName!)));
        Assert.AreSame(ours, AssemblyResolution.Resolve(null, new ResolveEventArgs("QuantUNet.MLNet")));
        Assert.AreSame(typeof(QuantUNet.Integer.IntegerEngine).Assembly, AssemblyResolution.Resolve(null, new ResolveEventArgs("QuantUNet.Integer")));
    }

    [TestMethod]
    public void AnswersForAnExactDependencyOnly()
    {
        var core = typeof(MLContext).Assembly;

        Assert.AreSame(core, AssemblyResolution.Resolve(null, new ResolveEventArgs(core.FullName!)));
        Assert.IsNull(AssemblyResolution.Resolve(null, new ResolveEventArgs($"{core.GetName().Name}, Version=1.2.3.4")));
    }

    [TestMethod]
    public void LeavesEveryOtherAssemblyToTheHost()
    {
        var testFramework = typeof(Assert).Assembly; // loaded (and referenced by these tests), but by no QuantU-Net library

        Assert.IsNull(AssemblyResolution.Resolve(null, new ResolveEventArgs(testFramework.FullName!)));
        Assert.IsNull(AssemblyResolution.Resolve(null, new ResolveEventArgs("Some.Other.Library, Version=1.0.0.0")));
    }
}
