global using QuantUNet.Tests;

namespace QuantUNet.Tests;

/// <summary>
/// A fresh folder under the system temp path, deleted with everything in it on dispose; tests run in parallel, so each
/// gets its own. One source file, linked into every test project that needs it.
/// </summary>
internal sealed class TempFolder(string prefix = "quantunet-tests") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>A path inside the folder, its parent folders created.</summary>
    public string File(string relative)
    {
        string path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
