namespace ModuleService.Registry.Data.Entities;

/// <summary>Immutable content of a module: one blob of canonical safetensors bytes.</summary>
public sealed class ModuleVersion
{
    public Guid Id { get; init; }
    public Guid ModuleId { get; init; }
    /// <summary>1, 2, … per module.</summary>
    public int Version { get; init; }
    /// <summary>sha256 of the canonical bytes; also the blob key.</summary>
    public required string Sha256 { get; init; }
    /// <summary>safetensors dtype name (F32, BF16, …).</summary>
    public required string DType { get; init; }
    /// <summary>JSON map: relative tensor name → shape.</summary>
    public required string Shapes { get; init; }
    public Guid? ParentVersionId { get; init; }
    /// <summary>JSON <see cref="Modules.Provenance"/>.</summary>
    public required string Provenance { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}
