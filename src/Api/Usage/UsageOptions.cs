using System.ComponentModel.DataAnnotations;

namespace ModuleService.Api.Usage;

/// <summary>Section "Usage": how served-traffic expert usage reaches the registry.</summary>
public sealed class UsageOptions
{
    public const string SectionName = "Usage";

    /// <summary>
    /// How often the engine's counts are drained into <c>expert_usage</c>: one row per used expert per model and
    /// interval, so shorter means more rows, longer means more lost on a crash (a clean shutdown flushes).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(30);
}
