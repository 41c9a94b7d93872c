using System.Reflection;
using System.Xml.Linq;

namespace QuantUNet.MLNet.Tests;

/// <summary>
/// The ML.NET libraries ship their XML documentation beside the assemblies, with an entry for every public type and
/// member (the build fails on a missing one: src/Directory.Build.props makes CS1591 an error).
/// </summary>
[TestClass]
public sealed class DocumentationTests
{
    [TestMethod]
    [DataRow(typeof(SegmentationCatalog))]
    [DataRow(typeof(QuantUNetTrainer))]
    public void EveryPublicTypeAndMemberIsDocumentedInTheShippedXml(Type inAssembly)
    {
        var assembly = inAssembly.Assembly;
        string file = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.IsTrue(File.Exists(file), $"{file} is shipped beside the assembly");
        var documented = XDocument.Load(file).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();

        var missing = assembly.GetExportedTypes()
            .SelectMany(type => new[] { $"T:{Name(type)}" }.Concat(type
                .GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m is not (MethodInfo { IsSpecialName: true } or FieldInfo { IsSpecialName: true }) && !(m is MethodBase method && IsCompilerMade(method, type)) && m is not Type)
                .Select(m => $"{Prefix(m)}:{Name(type)}.{(m is ConstructorInfo ? "#ctor" : m.Name)}")))
            .Where(id => !documented.Any(d => d == id || d.StartsWith(id + "(", StringComparison.Ordinal)))
            .Distinct()
            .ToList();

        Assert.IsEmpty(missing, string.Join("\n", missing));
    }

    private static string Name(Type type) => type.FullName!.Replace('+', '.');

    private static char Prefix(MemberInfo member) => member switch
    {
        PropertyInfo => 'P',
        FieldInfo => 'F',
        EventInfo => 'E',
        _ => 'M',
    };

    /// <summary>Records' generated members and implicit parameterless constructors, which the compiler does not ask to document.</summary>
    private static bool IsCompilerMade(MethodBase method, Type type) =>
        method.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))
        || method.Name is "<Clone>$" or "Deconstruct" or "Equals" or "GetHashCode" or "PrintMembers"
        || (method is ConstructorInfo constructor && constructor.GetParameters() is var parameters
            && (parameters.Length == 0 || (parameters.Length == 1 && parameters[0].ParameterType == type)));
}
