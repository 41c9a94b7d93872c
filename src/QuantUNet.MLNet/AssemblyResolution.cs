using System.Reflection;

namespace QuantUNet.MLNet;

/// <summary>
/// Loading a saved model makes ML.NET and <see cref="ScorerProviders"/> load assemblies by name. A DLL that a notebook
/// referenced by path (<c>#r "x.dll"</c>) lives in the scripting load context, where loading by name does not find it;
/// this handler answers with an assembly already loaded under the requested name, else with the file of that name
/// beside this library.
/// </summary>
internal static class AssemblyResolution
{
    private static int _installed;

    public static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
            AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        string? name = new AssemblyName(args.Name).Name;
        if (name is null)
            return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name);
        if (loaded is not null)
            return loaded;
        string? folder = Path.GetDirectoryName(typeof(AssemblyResolution).Assembly.Location);
        string? beside = string.IsNullOrEmpty(folder) ? null : Path.Combine(folder, name + ".dll");
        return beside is not null && File.Exists(beside) ? Assembly.LoadFrom(beside) : null;
    }
}
