using System.Text.Json;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Assemblies;

/// <summary>An assembly by name and version number or <c>latest</c> (the highest version that is not archived).</summary>
public sealed record AssemblyRef(string Name, string Version = AssemblyRef.Latest)
{
    public const string Latest = "latest";

    /// <summary>Parses <c>name</c>, <c>name@latest</c> or <c>name@3</c>.</summary>
    public static AssemblyRef Parse(string text)
    {
        var at = text.LastIndexOf('@');
        return at < 0 ? new(text) : new(text[..at], text[(at + 1)..]);
    }

    public override string ToString() => $"{Name}@{Version}";
}

/// <summary>Filters for <see cref="AssemblyService.ListAsync"/>; archived assemblies are hidden unless asked for.</summary>
public sealed record AssemblyQuery(string? Name = null, Guid? FamilyId = null, Stage? Stage = null, bool IncludeArchived = false);

public sealed record AssemblySummary(Guid Id, string Name, int Version, Guid FamilyId, string ManifestHash, Stage Stage,
    Guid? ParentAssemblyId, string? Notes, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record AssemblyDetail(AssemblySummary Summary, string FamilyName, Manifest Manifest, JsonElement? Evaluation)
{
    public int AttentionExperts => Manifest.AttentionExperts;
    public int MlpExperts => Manifest.MlpExperts;
}

/// <summary>
/// A module version to put into a composed assembly. Experts go to <see cref="Layer"/> (default: the module's own
/// layer) at <see cref="Position"/> (default: after the existing experts); a shared, embedding or head version
/// replaces the one in its slot.
/// </summary>
public sealed record ModuleAddition(Guid ModuleVersionId, int? Layer = null, int? Position = null);

/// <summary>
/// A new assembly version <see cref="Name"/>@next from <see cref="Base"/> minus <see cref="Remove"/> (module
/// version ids) plus <see cref="Add"/>. Additions may come from any assembly of the same family.
/// </summary>
public sealed record ComposeRequest(string Name, AssemblyRef Base, IReadOnlyList<ModuleAddition>? Add = null,
    IReadOnlyList<Guid>? Remove = null, string? Notes = null, JsonElement? Evaluation = null, Stage Stage = Stage.Draft);

/// <summary>Result of importing a checkpoint.</summary>
/// <param name="Created">False when the manifest equals the latest version's, which is returned instead.</param>
public sealed record ImportResult(string Name, int Version, string ManifestHash, int ModuleCount, Guid AssemblyId,
    Guid FamilyId, bool Created, int NewModuleVersions, int NewBlobs);

/// <summary>One module's change between two assemblies (null version = absent on that side).</summary>
public sealed record ModuleChange(string Module, int? FromVersion, int? ToVersion, string? FromSha256, string? ToSha256);

/// <summary>Changes of one slot group: <c>embedding</c>, <c>head</c>, <c>layer3.shared</c>, <c>layer3.attn</c>, <c>layer3.mlp</c>.</summary>
public sealed record GroupDiff(string Group, IReadOnlyList<ModuleChange> Added, IReadOnlyList<ModuleChange> Removed,
    IReadOnlyList<ModuleChange> Changed, bool OrderChanged);

public sealed record AssemblyDiff(AssemblySummary From, AssemblySummary To, bool SameFamily, bool Identical,
    IReadOnlyList<GroupDiff> Groups);
