namespace QuantUNet.Integer.Tests;

/// <summary>A fresh folder under the system temp path, deleted on dispose; tests run in parallel, so each gets its own.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "quantunet-integer-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
