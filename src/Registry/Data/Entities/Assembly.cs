namespace ModuleService.Registry.Data.Entities;

/// <summary>A model: a versioned manifest of module versions of one family.</summary>
public sealed class Assembly
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    public int Version { get; init; }
    public Guid FamilyId { get; init; }
    /// <summary>JSON <see cref="Assemblies.Manifest"/>.</summary>
    public required string Manifest { get; init; }
    /// <summary>sha256 of the manifest's content-only canonical JSON.</summary>
    public required string ManifestHash { get; init; }
    public Guid? ParentAssemblyId { get; init; }
    public string? Notes { get; init; }
    /// <summary>Free-form JSON evaluation results given at creation, or null.</summary>
    public string? Evaluation { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}
