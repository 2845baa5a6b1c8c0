using System.Text.Json;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Modules;

public sealed record FamilyView(Guid Id, string Name, string FamilyHash, string Tokenizer, JsonElement Config,
    IReadOnlyDictionary<string, string> TokenizerFiles, DateTimeOffset CreatedAt);

public sealed record ModuleView(Guid Id, Guid FamilyId, ModuleKind Kind, int? Layer, string Name, int VersionCount,
    DateTimeOffset CreatedAt, string CreatedBy);

public sealed record ModuleVersionView(Guid Id, Guid ModuleId, string Module, Guid FamilyId, ModuleKind Kind, int? Layer,
    int Version, string Sha256, long Size, string DType, IReadOnlyDictionary<string, long[]> Shapes, Guid? ParentVersionId,
    Provenance Provenance, Stage Stage, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>Filters for modules; <see cref="Name"/> matches a substring (e.g. <c>attn</c>, <c>layer3.</c>).</summary>
public sealed record ModuleQuery(Guid? FamilyId = null, ModuleKind? Kind = null, int? Layer = null, string? Name = null);

/// <summary>Filters for module versions; archived ones are hidden unless asked for.</summary>
public sealed record ModuleVersionQuery(Guid? FamilyId = null, Guid? ModuleId = null, ModuleKind? Kind = null,
    int? Layer = null, Stage? Stage = null, string? Sha256 = null, bool IncludeArchived = false);

/// <summary>A module version with what queries filter on and views show.</summary>
internal sealed class VersionRow
{
    public required ModuleVersion Version { get; init; }
    public required Module Module { get; init; }
    public long Size { get; init; }
    public Stage Stage { get; init; }

    public ModuleVersionView ToView() => new(Version.Id, Module.Id, Module.Name, Module.FamilyId, Module.Kind, Module.Layer,
        Version.Version, Version.Sha256, Size, Version.DType,
        JsonSerializer.Deserialize<Dictionary<string, long[]>>(Version.Shapes) ?? [], Version.ParentVersionId,
        Provenance.Parse(Version.Provenance), Stage, Version.CreatedAt, Version.CreatedBy);
}
