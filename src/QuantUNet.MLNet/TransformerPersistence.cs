using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;
using QuantUNet.Integer.Package;

namespace QuantUNet.MLNet;

/// <summary>
/// Saves a <see cref="QuantUNetTransformer"/> into ML.NET's model zip and loads it back as itself, through ML.NET's
/// internal save/load members (<see cref="MLNetInternals"/>; the README's "How saving and loading work" says why). In the transformer's folder of
/// the zip, <c>Model.key</c> is ML.NET's header and two strings, and <c>QuantUNet.bin</c> holds the <see cref="ModelPayload"/>:
/// the transformer's settings and the model package, unchanged. ML.NET finds the loader by name in the MLContext's component catalog,
/// where <see cref="Register"/> (called by <c>mlContext.Segmentation()</c>) puts it.
/// </summary>
/// <remarks>
/// <c>Model.key</c> is written in the format of ML.NET's own CustomMapping transformer (signature CUSTOMXF, a contract
/// name and an assembly name), with ML.NET's CustomMapping loader as the alternative. So in an MLContext where the loader
/// is not registered, ML.NET falls back to CustomMapping, which looks the contract up and reaches
/// <see cref="UnregisteredLoaderFactory"/>: the load then fails with a message saying what to call, not a bare
/// "Couldn't load model".
/// </remarks>
internal static class TransformerPersistence
{
    public const string LoaderSignature = "QuantUNetTransformer";
    public const string PayloadEntry = MLNetPayload.EntryName;

    private static readonly ModelVersion Version = new(
        ModelSignature: "CUSTOMXF",
        VerWrittenCur: 0x00010002,
        VerReadableCur: 0x00010002,
        VerWeCanReadBack: 0x00010001,
        LoaderAssemblyName: typeof(CustomMappingFactoryAttributeAttribute).Assembly.FullName!,
        LoaderSignature: LoaderSignature,
        LoaderSignatureAlt: "CustomTransformer");

    private static readonly MethodInfo LoadMethod =
        typeof(TransformerPersistence).GetMethod(nameof(Load), BindingFlags.Static | BindingFlags.NonPublic)!;

    /// <summary>Makes <paramref name="mlContext"/> able to load saved QuantU-Net transformers.</summary>
    public static void Register(MLContext mlContext)
    {
        AssemblyResolution.EnsureInstalled();
        MLNetInternals.RegisterLoader(mlContext.ComponentCatalog, typeof(QuantUNetTransformer), LoadMethod, LoaderSignature);
    }

    public static void Save(ModelSaveContext context, SegmentationModel model)
    {
        MLNetInternals.BeginSave(context, Version);
        MLNetInternals.SaveString(context, UnregisteredLoaderFactory.ContractName);
        MLNetInternals.SaveString(context, typeof(UnregisteredLoaderFactory).Assembly.FullName!);
        var payload = ModelPayload.Write(model);
        MLNetInternals.SaveBinaryStream(context, PayloadEntry, writer => writer.Write(payload));
    }

    /// <summary>The loader ML.NET calls, through reflection, with its internal ModelLoadContext.</summary>
    private static QuantUNetTransformer Load(IHostEnvironment env, object context)
    {
        MLNetInternals.BeginLoad(context, Version);
        string contract = MLNetInternals.LoadString(context);
        MLNetInternals.LoadString(context); // the assembly of the contract, read by ML.NET's fallback only
        string source = $"{MLNetInternals.Directory(context)}/{PayloadEntry}";
        if (contract != UnregisteredLoaderFactory.ContractName)
            throw new InvalidDataException($"{source}: the model stream names contract '{contract}', not a QuantU-Net transformer.");
        using var payload = new MemoryStream();
        if (!MLNetInternals.TryLoadBinaryStream(context, PayloadEntry, reader => reader.BaseStream.CopyTo(payload)))
            throw new InvalidDataException($"{source}: missing from the model zip; the QuantU-Net weights are not there.");
        return new QuantUNetTransformer(ModelPayload.Read(payload.ToArray(), source));
    }
}

/// <summary>Reached only through ML.NET's CustomMapping fallback, when the QuantU-Net loader was not registered.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class UnregisteredLoaderFactory : CustomMappingFactory<UnregisteredLoaderFactory.NoColumns, UnregisteredLoaderFactory.NoColumns>
{
    public const string ContractName = "QuantUNet.MLNet.QuantUNetTransformer";

    public sealed class NoColumns;

    /// <summary>
    /// What a load without the loader fails with. ML.NET throws it wrapped in two TargetInvocationExceptions (it calls loaders
    /// by reflection), so it is the innermost exception's message; nothing this library controls runs earlier in the load.
    /// </summary>
    public const string Message =
        "This model holds a QuantU-Net transformer and this MLContext has no loader for it: call mlContext.Segmentation() "
        + "(namespace QuantUNet.MLNet) on this MLContext before mlContext.Model.Load. ML.NET keeps loaders per MLContext, so "
        + "every MLContext that loads one needs the call, an MLContext a host creates too.";

    public override Action<NoColumns, NoColumns> GetMapping() => throw new InvalidOperationException(Message);
}
