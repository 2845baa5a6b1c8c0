namespace ModuleService.Registry.Data.Entities;

/// <summary>Lifecycle stage of module versions and assemblies.</summary>
public enum Stage { Draft, Active, Deprecated, Archived }

/// <summary>What a stage event or audit entry is about.</summary>
public enum TargetType { Family, Module, ModuleVersion, Blob, Assembly, ApiKey, Dataset }

/// <summary>
/// Append-only stage history: the current stage of a target is its latest event (highest Id), so a
/// transition never rewrites a row.
/// </summary>
public sealed class StageEvent
{
    public long Id { get; init; }
    public TargetType TargetType { get; init; }
    public Guid TargetId { get; init; }
    public Stage Stage { get; init; }
    public required string Actor { get; init; }
    public DateTimeOffset At { get; init; }
    public string? Reason { get; init; }
}
