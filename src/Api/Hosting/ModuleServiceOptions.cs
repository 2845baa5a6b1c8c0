using System.ComponentModel.DataAnnotations;

namespace ModuleService.Api.Hosting;

/// <summary>Section "ModuleService": how this process runs.</summary>
public sealed class ModuleServiceOptions
{
    public const string SectionName = "ModuleService";

    /// <summary>
    /// Where a one-machine install keeps its state (the embedded PostgreSQL cluster, the blob cache). Used when
    /// <c>ConnectionStrings:Registry</c> is not set.
    /// </summary>
    [Required]
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>
    /// As root, /var/lib/modulesvc: PostgreSQL runs as the 'postgres' user, who cannot enter /root. Otherwise the
    /// user's local data folder.
    /// </summary>
    static string DefaultDataDirectory() => Environment.UserName == "root" && OperatingSystem.IsLinux()
        ? "/var/lib/modulesvc"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "modulesvc");

    /// <summary><c>api</c>, <c>worker</c> or <c>both</c>: the same binary serves HTTP, runs jobs, or both.</summary>
    [RegularExpression("^(api|worker|both)$")]
    public string Role { get; set; } = "both";

    /// <summary>
    /// Largest request body in bytes for every endpoint except checkpoint imports and dataset uploads, which stream
    /// and enforce their own limits (Registry:MaxTarBytes, Datasets:MaxUploadBytes). 8 MiB holds any completion
    /// request the prompt limits allow; a larger body is refused with 413 before it is read.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 8L << 20;

    /// <summary>
    /// How often the embedded PostgreSQL (no connection string) is checked; a dead server is started again on the
    /// same port and data directory. Unused with an external server, which its own supervisor looks after.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan EmbeddedPostgresWatchInterval { get; set; } = TimeSpan.FromSeconds(5);

    public bool ServesHttp => Role is "api" or "both";
    public bool RunsWorker => Role is "worker" or "both";
}
