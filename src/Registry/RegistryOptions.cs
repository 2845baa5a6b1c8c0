using System.ComponentModel.DataAnnotations;

namespace ModuleService.Registry;

/// <summary>Settings of the module registry (configuration section <c>Registry</c>).</summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>Node-local blob cache; default: <c>modsvc-blob-cache</c> under the system temp folder.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Bytes per blob chunk row. 4 MiB keeps rows far below bytea's 1 GB limit and memory per read small.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int ChunkSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Apply pending migrations at start-up (one-machine runs); turn off where a deploy step migrates.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Largest total content of an uploaded checkpoint tar.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTarBytes { get; set; } = 200L * 1024 * 1024 * 1024;

    /// <summary>Largest number of entries in an uploaded checkpoint tar.</summary>
    [Range(1, int.MaxValue)]
    public int MaxTarEntries { get; set; } = 10_000;

    internal string ResolvedCacheDirectory =>
        string.IsNullOrWhiteSpace(CacheDirectory) ? Path.Combine(Path.GetTempPath(), "modsvc-blob-cache") : CacheDirectory;
}
