using ModuleService.Model.Surgery;

namespace ModuleService.Registry.Data.Entities;

/// <summary>A logical slot of a family (e.g. <c>layer3.attn.expert5</c>); its content lives in versions.</summary>
public sealed class Module
{
    public Guid Id { get; init; }
    public Guid FamilyId { get; init; }
    public ModuleKind Kind { get; init; }
    /// <summary>Block index; null for the embedding and the head.</summary>
    public int? Layer { get; init; }
    /// <summary>Part name from <see cref="ModuleLayout.PartName"/>; unique within the family.</summary>
    public required string Name { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}
