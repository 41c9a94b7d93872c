using QuantUNet.Tests.Shared;
using QuantUNet.Torch.Model;

namespace QuantUNet.Torch.Tests;

[TestClass]
public sealed class ScalarLifetimeTests
{
    /// <summary>See <see cref="ImplicitScalarScan"/>: test hosts crashed in a weight initialisation's <c>randn(..) * std</c> and a width's <c>add</c>.</summary>
    [TestMethod]
    public void TheTrainingLibraryHoldsEveryScalarItPassesToLibtorch() => ImplicitScalarScan.AssertNone(typeof(QuantUNetModel).Assembly);
}
