using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using QuantUNet.Integer.Format;

namespace QuantUNet.Torch.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ is older than the one it
/// was linked against (Debian 12, Ubuntu 22.04). TorchSharp 0.107's <c>libLibTorchSharp.so</c>
/// requires <c>GLIBCXX_3.4.32</c> for a single symbol that is only a link anchor and never called.
/// When, and only when, the shipped library fails to load, a copy with that requirement renamed to
/// <c>GLIBCXX_3.4.30</c> is written to a per-user cache (never into the NuGet cache) and handed to
/// TorchSharp through a DllImport resolver, or, when the host has already set TorchSharp's resolver (an assembly
/// has only one), through its load context's <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> fallback, which
/// runs after the host's resolver declines. Everywhere else this does nothing. This is the one process-wide effect of
/// QuantUNet.Torch; <see cref="Status"/> says which route was taken.
/// </summary>
public static class TorchRuntime
{
    private const string LibraryName = "LibTorchSharp";
    private const string FileName = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>What <see cref="EnsureLoadable"/> found and did, for diagnostics and the CLI's <c>info</c> verb.</summary>
    public static string Status { get; private set; } = "not checked";

    /// <summary>Whether a patched copy of the native library is in use.</summary>
    public static bool Patched { get; private set; }

    // Runs before any type of this assembly is touched, so every QuantUNet entry point is covered.
#pragma warning disable CA2255 // A library module initializer is the point: it must precede TorchSharp's first call.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => EnsureLoadable();

    /// <summary>Idempotent; call before the first <c>TorchSharp.torch</c> call if you use TorchSharp directly.</summary>
    public static void EnsureLoadable()
    {
        lock (Gate)
        {
            if (_done) return;
            _done = true;
            if (!OperatingSystem.IsLinux()) { Status = "not Linux: nothing to do"; return; }

            var original = FindShippedLibrary();
            if (original is null) { Status = $"{FileName} not found beside TorchSharp: left to TorchSharp"; return; }
            if (NativeLibrary.TryLoad(original, out _)) { Status = $"loads as shipped: {original}"; return; }

            var patched = WritePatchedCopy(original);
            var nativeDirs = LibTorchDirectories(Path.GetDirectoryName(original)!);
            // The copy's $ORIGIN run path no longer points at libtorch, so load its dependencies first.
            foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            {
                var path = nativeDirs.Select(d => Path.Combine(d, dependency)).FirstOrDefault(File.Exists);
                if (path is not null) NativeLibrary.Load(path);
            }
            var handle = NativeLibrary.Load(patched);
            var torchSharp = typeof(TorchSharp.torch).Assembly;
            string route;
            try
            {
                NativeLibrary.SetDllImportResolver(torchSharp, (name, _, _) => name == LibraryName ? handle : IntPtr.Zero);
                route = "DllImport resolver";
            }
            catch (InvalidOperationException)
            {
                // The host set TorchSharp's one resolver first. The load context's fallback still runs after that resolver
                // and the default probing fail (the shipped copy does not load), so the patched copy is found there.
                var context = AssemblyLoadContext.GetLoadContext(torchSharp) ?? AssemblyLoadContext.Default;
                context.ResolvingUnmanagedDll += (assembly, name) => assembly == torchSharp && name == LibraryName ? handle : IntPtr.Zero;
                route = "load context fallback (the host has its own DllImport resolver for TorchSharp)";
            }
            Patched = true;
            Status = $"system libstdc++ lacks GLIBCXX_3.4.32: using patched copy {patched} through the {route}";
        }
    }

    private static string? FindShippedLibrary()
    {
        var directories = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            directories.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        foreach (var root in new[] { torchDir, AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(root)) continue;
            directories.Add(Path.Combine(root, "runtimes", "linux-x64", "native"));
            directories.Add(root);
            directories.Add(Path.Combine(root, "cpu"));
        }
        // Straight from the NuGet packages, as a Polyglot notebook's #r "nuget: ..." loads them (nothing is copied
        // beside an app): TorchSharp.dll in <packages>/torchsharp/<version>/lib/<tfm>/, its native library in
        // <packages>/torchsharp/<version>/runtimes/linux-x64/native/.
        if (!string.IsNullOrEmpty(torchDir))
            directories.Add(Path.GetFullPath(Path.Combine(torchDir, "..", "..", "runtimes", "linux-x64", "native")));
        return directories.Select(d => Path.Combine(d, FileName)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Where libtorch's own libraries are: beside TorchSharp's native library in an app's output, or, in the NuGet
    /// package layout, in the libtorch-cpu-linux-x64 package next to the torchsharp package.
    /// </summary>
    private static List<string> LibTorchDirectories(string nativeDir)
    {
        var directories = new List<string> { nativeDir };
        // nativeDir = <packages>/torchsharp/<version>/runtimes/linux-x64/native in the package layout.
        var packages = Path.GetFullPath(Path.Combine(nativeDir, "..", "..", "..", "..", ".."));
        var libTorch = Path.Combine(packages, "libtorch-cpu-linux-x64");
        if (Directory.Exists(libTorch))
            directories.AddRange(Directory.EnumerateDirectories(libTorch)
                .OrderByDescending(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0))
                .Select(d => Path.Combine(d, "runtimes", "linux-x64", "native")));
        return directories;
    }

    private static string WritePatchedCopy(string original)
    {
        var bytes = File.ReadAllBytes(original);
        var key = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        if (ElfVersionNeedPatcher.Replace(bytes, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30") == 0)
            throw new DllNotFoundException(
                $"{original} does not load and does not require GLIBCXX_3.4.32, so QuantUNet cannot fix it; " +
                $"run `ldd {original}` to see what is missing.");

        var failures = new List<string>();
        foreach (var root in CacheRoots())
        {
            var dir = Path.Combine(root, "quantunet", "torchsharp-native", key);
            var target = Path.Combine(dir, FileName);
            try
            {
                if (File.Exists(target) && new FileInfo(target).Length == bytes.Length) return target;
                AtomicFile.WriteAllBytes(target, bytes);
                return target;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Read-only home or cache: try the next root.
                failures.Add($"{dir}: {e.Message}");
            }
        }
        throw new IOException("No writable cache folder for the patched TorchSharp native library (set XDG_CACHE_HOME or TMPDIR to a writable folder); "
            + $"tried {string.Join("; ", failures)}");
    }

    private static IEnumerable<string> CacheRoots()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) yield return xdg;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".cache");
        yield return Path.GetTempPath();
    }
}
