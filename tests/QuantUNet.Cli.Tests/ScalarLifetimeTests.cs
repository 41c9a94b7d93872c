using System.Reflection;
using QuantUNet.Tests.Shared;

namespace QuantUNet.Cli.Tests;

[TestClass]
public sealed class ScalarLifetimeTests
{
    /// <summary>
    /// See <see cref="ImplicitScalarScan"/>; the training library has its own test (QuantUNet.Torch.Tests), these are the
    /// assemblies above it that call TorchSharp.
    /// </summary>
    [TestMethod]
    [DataRow("QuantUNet.MLNet.Training")]
    [DataRow("QuantUNet.Onnx.Torch")]
    [DataRow("quantunet")]
    public void TorchSharpCallersAboveTheTrainingLibraryHoldEveryScalarTheyPassToLibtorch(string assemblyName) =>
        ImplicitScalarScan.AssertNone(Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll")));
}
