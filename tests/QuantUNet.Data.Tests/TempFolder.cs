namespace QuantUNet.Data.Tests;

/// <summary>A fresh folder under the system temp path, deleted on dispose; tests run in parallel, so each gets its own.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "quantunet-data-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A path inside the folder, creating its parent folders.</summary>
    public string File(string relative)
    {
        string path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
