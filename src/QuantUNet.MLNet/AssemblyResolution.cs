using System.Reflection;

namespace QuantUNet.MLNet;

/// <summary>
/// Loading a saved model makes ML.NET and <see cref="ScorerProviders"/> load this library's assemblies by name. A DLL
/// that a notebook referenced by path (<c>#r "x.dll"</c>) lives in the scripting load context, where loading by name
/// does not find it. This process-wide <see cref="AppDomain.AssemblyResolve"/> handler, installed by the first
/// <c>mlContext.Segmentation()</c> or model load, answers only for the assemblies loaded by name (this one and
/// QuantUNet.MLNet.Training) and for the exact name and version of an assembly that they, or the QuantUNet assemblies
/// they reference, reference: with the one already loaded, or for a QuantUNet assembly the file beside this library.
/// Every other request is left to the host.
/// </summary>
internal static class AssemblyResolution
{
    private const string ProjectPrefix = "QuantUNet.";
    private static readonly string[] Roots = [typeof(AssemblyResolution).Assembly.GetName().Name!, ScorerProviders.TorchAssemblyName];
    private static int _installed;

    public static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
            AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    internal static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var requested = new AssemblyName(args.Name);
        if (requested.Name is not { } name)
            return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies();
        if (!Roots.Contains(name) && !Ours(loaded).SelectMany(a => a.GetReferencedAssemblies()).Any(r => Matches(r, requested)))
            return null;
        return loaded.FirstOrDefault(a => Matches(a.GetName(), requested))
            ?? (name.StartsWith(ProjectPrefix, StringComparison.Ordinal) ? Beside(name) : null);
    }

    /// <summary>The loaded roots and, through their references, the loaded QuantUNet assemblies they depend on.</summary>
    private static List<Assembly> Ours(Assembly[] loaded)
    {
        var seen = new HashSet<string>(Roots);
        var found = new List<Assembly>();
        var pending = new Queue<Assembly>(loaded.Where(a => Roots.Contains(a.GetName().Name)));
        while (pending.TryDequeue(out var assembly))
        {
            found.Add(assembly);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name && name.StartsWith(ProjectPrefix, StringComparison.Ordinal) && seen.Add(name)
                    && loaded.FirstOrDefault(a => Matches(a.GetName(), reference)) is { } dependency)
                    pending.Enqueue(dependency);
            }
        }
        return found;
    }

    private static bool Matches(AssemblyName candidate, AssemblyName requested) =>
        candidate.Name == requested.Name && (requested.Version is null || candidate.Version == requested.Version);

    private static Assembly? Beside(string name)
    {
        string? folder = Path.GetDirectoryName(typeof(AssemblyResolution).Assembly.Location);
        string? file = string.IsNullOrEmpty(folder) ? null : Path.Combine(folder, name + ".dll");
        return file is not null && File.Exists(file) ? Assembly.LoadFrom(file) : null;
    }
}
