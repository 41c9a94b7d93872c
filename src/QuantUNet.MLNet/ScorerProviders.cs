using System.Collections.Concurrent;
using System.Reflection;

namespace QuantUNet.MLNet;

/// <summary>
/// Finds the engine that scores a mode. Providers register themselves when their assembly is used (training does);
/// a model loaded in a fresh process instead loads the provider's assembly by name, so the caller never has to touch
/// it, and an app without that assembly gets a message naming what to reference.
/// </summary>
internal static class ScorerProviders
{
    /// <summary>The assembly of the TorchSharp scorer, loaded by name.</summary>
    public const string TorchAssemblyName = "QuantUNet.MLNet.Training";

    private sealed record KnownProvider(ScoringMode[] Modes, string AssemblyName, string TypeName);

    private static readonly KnownProvider[] Known =
    [
        new([ScoringMode.FakeQuantized, ScoringMode.Float], TorchAssemblyName, "QuantUNet.MLNet.TorchScorerProvider"),
    ];

    // The integer engine is part of this assembly, so it needs no lookup.
    private static readonly ConcurrentDictionary<ScoringMode, ISegmentationScorerProvider> Registered =
        new([new(ScoringMode.Integer, IntegerScorerProvider.Instance)]);

    public static void Register(ISegmentationScorerProvider provider)
    {
        foreach (var mode in provider.Modes)
            Registered[mode] = provider;
    }

    public static ISegmentationScorerProvider For(ScoringMode mode)
    {
        if (Registered.TryGetValue(mode, out var provider))
            return provider;
        var known = Known.FirstOrDefault(k => k.Modes.Contains(mode))
            ?? throw new NotSupportedException($"No QuantU-Net scorer is known for scoring mode {mode}.");
        AssemblyResolution.EnsureInstalled();
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(known.AssemblyName);
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException(
                $"Scoring mode {mode} needs the {known.AssemblyName} assembly (TorchSharp), which this app does not reference. "
                + $"Reference {known.AssemblyName}, or score a quantized model without TorchSharp: transformer.WithScoringMode(ScoringMode.Integer).", e);
        }
        var type = assembly.GetType(known.TypeName, throwOnError: true)!;
        Register((ISegmentationScorerProvider)Activator.CreateInstance(type)!);
        return Registered[mode];
    }
}
