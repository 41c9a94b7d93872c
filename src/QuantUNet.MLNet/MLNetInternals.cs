using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace QuantUNet.MLNet;

/// <summary>The header ML.NET writes before a component's saved bytes, in the terms of its internal <c>VersionInfo</c>.</summary>
/// <param name="ModelSignature">Eight characters naming the saved format.</param>
/// <param name="VerWrittenCur">The format version this build writes.</param>
/// <param name="VerReadableCur">The oldest reader version that can read what this build writes.</param>
/// <param name="VerWeCanReadBack">The oldest written version this build reads.</param>
/// <param name="LoaderAssemblyName">The assembly ML.NET registers before looking the loader up.</param>
/// <param name="LoaderSignature">Name of the loader ML.NET looks up in the MLContext's component catalog.</param>
/// <param name="LoaderSignatureAlt">Loader tried when the first is not registered.</param>
internal sealed record ModelVersion(
    string ModelSignature,
    uint VerWrittenCur,
    uint VerReadableCur,
    uint VerWeCanReadBack,
    string LoaderAssemblyName,
    string LoaderSignature,
    string LoaderSignatureAlt);

/// <summary>
/// The Microsoft.ML 5.0.1 members a third-party transformer needs to save itself into a model zip, be loaded back as
/// itself and declare its output shape. ML.NET keeps them internal (dotnet/machinelearning issues 4911 and 6839), so
/// they are reached by reflection; that is why Directory.Packages.props pins Microsoft.ML to exactly [5.0.1], and the
/// cross-process save/load tests guard it. Every member is looked up once; a missing one fails with the version found.
/// </summary>
internal static class MLNetInternals
{
    private const BindingFlags AnyInstance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private static readonly Assembly Core = typeof(ModelSaveContext).Assembly;

    private static readonly Lazy<ConstructorInfo> SchemaColumnConstructor = new(() => Find(
        typeof(SchemaShape.Column).GetConstructors(AnyInstance).SingleOrDefault(c => c.GetParameters().Length == 5),
        "SchemaShape.Column(name, kind, itemType, isKey, annotations)"));

    private static readonly Lazy<ConstructorInfo> VersionInfoConstructor = new(() => Find(
        Core.GetType("Microsoft.ML.VersionInfo")?.GetConstructors(AnyInstance).SingleOrDefault(c => c.GetParameters().Length == 7),
        "VersionInfo(modelSignature, verWrittenCur, verReadableCur, verWeCanReadBack, loaderAssemblyName, loaderSignature, loaderSignatureAlt)"));

    private static readonly Type LoadContextType = Find(Core.GetType("Microsoft.ML.ModelLoadContext"), "ModelLoadContext");

    // Weak, so that registering does not keep an MLContext's catalog alive.
    private static readonly ConditionalWeakTable<ComponentCatalog, object> RegisteredCatalogs = new();

    private static readonly Lazy<MethodInfo> CheckAliveMethod = new(() => Find(
        Core.GetType("Microsoft.ML.Runtime.Contracts")?.GetMethod("CheckAlive", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(IHostEnvironment)]),
        "Contracts.CheckAlive(IHostEnvironment)"));

    /// <summary>
    /// Throws ML.NET's <see cref="OperationCanceledException"/> when <paramref name="environment"/> (an MLContext or a host
    /// registered on one) was cancelled, the check ML.NET's own trainers make each step.
    /// </summary>
    public static void CheckAlive(IHostEnvironment environment) =>
        CheckAliveMethod.Value.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [environment], null);

    /// <summary>A column of an estimator's output shape (its constructor is internal).</summary>
    public static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType) =>
        (SchemaShape.Column)SchemaColumnConstructor.Value.Invoke([name, kind, itemType, false, null]);

    /// <summary>Starts a component's saved model: checks the stream position and records its format and loader.</summary>
    public static void BeginSave(ModelSaveContext context, ModelVersion version)
    {
        Call(context, "CheckAtModel", []);
        Call(context, "SetVersionInfo", [VersionInfo(version)]);
    }

    public static void SaveString(ModelSaveContext context, string value) => Call(context, "SaveString", [value], typeof(string));

    /// <summary>Writes a named entry beside the component's model stream, in its folder of the zip.</summary>
    public static void SaveBinaryStream(ModelSaveContext context, string name, Action<BinaryWriter> write) =>
        Call(context, "SaveBinaryStream", [name, write]);

    /// <summary>Checks that a model stream holds <paramref name="version"/>'s format at a version this build reads.</summary>
    public static void BeginLoad(object loadContext, ModelVersion version) =>
        Call(CheckLoadContext(loadContext), "CheckAtModel", [VersionInfo(version)]);

    public static string LoadString(object loadContext) => (string)Call(CheckLoadContext(loadContext), "LoadString", [])!;

    /// <summary>The component's folder inside the zip, for messages.</summary>
    public static string Directory(object loadContext) =>
        (string)Find(LoadContextType.GetField("Directory", AnyInstance), "ModelLoadContext.Directory").GetValue(CheckLoadContext(loadContext))!;

    /// <summary>Reads a named entry beside the component's model stream; false when there is none.</summary>
    public static bool TryLoadBinaryStream(object loadContext, string name, Action<BinaryReader> read) =>
        (bool)Call(CheckLoadContext(loadContext), "TryLoadBinaryStream", [name, read])!;

    /// <summary>
    /// Registers a loader in an MLContext's component catalog, as ML.NET's own components do with
    /// <c>[assembly: LoadableClass]</c> (an internal attribute). <paramref name="create"/> is a static method taking
    /// (IHostEnvironment, object) that ML.NET calls with its internal ModelLoadContext. Once per catalog.
    /// </summary>
    public static void RegisterLoader(ComponentCatalog catalog, Type instanceType, MethodInfo create, string loaderSignature)
    {
        lock (RegisteredCatalogs)
        {
            if (!RegisteredCatalogs.TryAdd(catalog, loaderSignature))
                return;
            var attributeType = Find(Core.GetType("Microsoft.ML.LoadableClassAttribute"), "LoadableClassAttribute");
            var signatureType = Find(Core.GetType("Microsoft.ML.SignatureLoadModel"), "SignatureLoadModel");
            var attribute = Find(
                attributeType.GetConstructor([typeof(Type), typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[])]),
                "LoadableClassAttribute(instType, loaderType, argType, sigType, userName, loadNames)")
                .Invoke([instanceType, create.DeclaringType, null, signatureType, loaderSignature, new[] { loaderSignature }]);
            var info = Find(
                typeof(ComponentCatalog).GetNestedType("LoadableClassInfo", BindingFlags.NonPublic)?.GetConstructors(AnyInstance).SingleOrDefault(),
                "ComponentCatalog.LoadableClassInfo(attr, getter, ctor, create, requireEnvironment)")
                .Invoke([attribute, null, null, create, true]);
            Call(catalog, "AddClass", [info, new[] { loaderSignature }, false]);
        }
    }

    private static object VersionInfo(ModelVersion v) => VersionInfoConstructor.Value.Invoke(
        [v.ModelSignature, v.VerWrittenCur, v.VerReadableCur, v.VerWeCanReadBack, v.LoaderAssemblyName, v.LoaderSignature, v.LoaderSignatureAlt]);

    private static object CheckLoadContext(object loadContext) => LoadContextType.IsInstanceOfType(loadContext)
        ? loadContext
        : throw new ArgumentException($"Expected ML.NET's ModelLoadContext, got {loadContext.GetType()}.", nameof(loadContext));

    /// <summary>Calls an instance method by name (and first parameter type, where overloads differ), letting its exceptions through unwrapped.</summary>
    private static object? Call(object target, string method, object?[] arguments, Type? firstParameter = null)
    {
        var found = Find(
            target.GetType().GetMethods(AnyInstance).SingleOrDefault(m => m.Name == method
                && m.GetParameters().Length == arguments.Length
                && (firstParameter is null || m.GetParameters()[0].ParameterType == firstParameter)),
            $"{target.GetType().Name}.{method}");
        return found.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null);
    }

    private static T Find<T>(T? member, string description) where T : class => member ?? throw new MissingMemberException(
        $"QuantUNet.MLNet saves and loads models through {description} of Microsoft.ML 5.0.1, which this process's "
        + $"Microsoft.ML.Core {Core.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion} lacks; use Microsoft.ML 5.0.1 exactly.");
}
