namespace ModuleService.Api.Tests.Support;

/// <summary>A fresh folder under the system temp dir, deleted on dispose.</summary>
public sealed class TempDir(string prefix = "modsvc-apitest-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
