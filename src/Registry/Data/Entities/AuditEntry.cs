namespace ModuleService.Registry.Data.Entities;

/// <summary>One change: who did what to which target, when. Never updated or deleted.</summary>
public sealed class AuditEntry
{
    public long Id { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    /// <summary>Dotted verb such as <c>assembly.create</c>, <c>module_version.archive</c>.</summary>
    public required string Action { get; init; }
    public TargetType TargetType { get; init; }
    /// <summary>Target id as text (Guid or blob sha).</summary>
    public required string TargetId { get; init; }
    /// <summary>JSON object with action-specific details.</summary>
    public required string Details { get; init; }
}
