using Microsoft.EntityFrameworkCore;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;

namespace ModuleService.Registry.Assemblies;

public sealed partial class AssemblyService
{
    /// <summary>
    /// Creates <c>request.Name</c>@next from a base assembly minus/plus module versions, validated like a model
    /// build (family, shapes, dtype, at least k experts per layer, equal counts across layers). When the result
    /// equals the latest version of that name, that version is returned and nothing is written.
    /// </summary>
    /// <exception cref="InvalidModuleOperationException">Target names the offending module version or layer group.</exception>
    public async Task<AssemblyDetail> ComposeAsync(ComposeRequest request, string actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        actor = Actor.Require(actor);
        var baseRow = await ResolveAsync(request.Base, ct);
        var family = await db.Families.AsNoTracking().SingleAsync(f => f.Id == baseRow.Assembly.FamilyId, ct);
        var draft = new DraftManifest(Manifest.Parse(baseRow.Assembly.Manifest));

        foreach (var id in request.Remove ?? [])
            if (!draft.Remove(id))
                throw new InvalidModuleOperationException(id.ToString(), $"module version is not part of {baseRow.Assembly.Name}@{baseRow.Assembly.Version}");
        foreach (var addition in request.Add ?? [])
            await AddAsync(draft, addition, family, ct);

        var placed = await PlaceAsync(draft, ct);
        AssemblyValidator.Validate(FamilyConfig.ToConfig(family.ConfigJson), placed);
        var manifest = draft.Build(family.FamilyHash);

        var latest = await writer.LatestAsync(request.Name, ct);
        if (latest is not null && latest.Assembly.ManifestHash == manifest.ContentHash() && latest.Assembly.FamilyId == family.Id)
            return await DetailAsync(latest, ct);
        var evaluation = request.Evaluation is { } json ? json.GetRawText() : null;
        var created = await writer.CreateAsync(request.Name, family, manifest, baseRow.Assembly.Id, request.Notes, evaluation,
            request.Stage, actor, $"compose from {baseRow.Assembly.Name}@{baseRow.Assembly.Version}", ct);
        return await GetAsync(created.Id, ct);
    }

    async Task AddAsync(DraftManifest draft, ModuleAddition addition, Family family, CancellationToken ct)
    {
        var found = await (from v in db.ModuleVersions.AsNoTracking()
                           join m in db.Modules.AsNoTracking() on v.ModuleId equals m.Id
                           where v.Id == addition.ModuleVersionId
                           select new { Version = v, Module = m }).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("module version", addition.ModuleVersionId.ToString());
        var (version, module) = (found.Version, found.Module);
        var label = $"{module.Name}@v{version.Version}";
        if (module.FamilyId != family.Id)
        {
            var other = await db.Families.Where(f => f.Id == module.FamilyId).Select(f => f.Name).SingleAsync(ct);
            throw new InvalidModuleOperationException(label, $"belongs to family {other}, but the assembly is of family {family.Name}");
        }
        if (await stages.CurrentAsync(TargetType.ModuleVersion, version.Id, ct) == Stage.Archived)
            throw new InvalidModuleOperationException(label, "module version is archived; restore it before using it");
        var entry = new ManifestEntry(version.Id, module.Name, version.Version, version.Sha256);
        draft.Add(entry, module.Kind, addition.Layer ?? module.Layer, addition.Position, label);
    }

    /// <summary>Every entry with the dtype and shapes stored on its version, as the validator needs them.</summary>
    async Task<List<PlacedVersion>> PlaceAsync(DraftManifest draft, CancellationToken ct)
    {
        var slots = draft.Slots().ToList();
        var ids = slots.Select(s => s.Entry.VersionId).Distinct().ToList();
        var stored = await db.ModuleVersions.AsNoTracking().Where(v => ids.Contains(v.Id))
            .ToDictionaryAsync(v => v.Id, v => (v.DType, v.Shapes), ct);
        return slots.Select(s => new PlacedVersion(s.Entry, s.Kind, s.Layer, s.Position,
            stored[s.Entry.VersionId].DType, stored[s.Entry.VersionId].Shapes)).ToList();
    }
}
