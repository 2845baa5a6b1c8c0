using Microsoft.EntityFrameworkCore;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;

namespace ModuleService.Registry.Modules;

public sealed partial class ModuleCatalog
{
    IQueryable<VersionRow> VersionRows =>
        from v in db.ModuleVersions.AsNoTracking()
        join m in db.Modules.AsNoTracking() on v.ModuleId equals m.Id
        join b in db.Blobs.AsNoTracking() on v.Sha256 equals b.Sha256
        select new VersionRow
        {
            Version = v,
            Module = m,
            Size = b.Size,
            Stage = db.StageEvents.Where(e => e.TargetType == TargetType.ModuleVersion && e.TargetId == v.Id)
                .OrderByDescending(e => e.Id).Select(e => e.Stage).FirstOrDefault(),
        };

    /// <summary>Newest version first within a module.</summary>
    public Task<Page<ModuleVersionView>> ListVersionsAsync(ModuleVersionQuery? query, PageRequest? page, CancellationToken ct)
    {
        query ??= new();
        var rows = VersionRows;
        if (query.FamilyId is { } familyId) rows = rows.Where(r => r.Module.FamilyId == familyId);
        if (query.ModuleId is { } moduleId) rows = rows.Where(r => r.Module.Id == moduleId);
        if (query.Kind is { } kind) rows = rows.Where(r => r.Module.Kind == kind);
        if (query.Layer is { } layer) rows = rows.Where(r => r.Module.Layer == layer);
        if (query.Sha256 is { } sha) rows = rows.Where(r => r.Version.Sha256 == sha);
        if (query.Stage is { } stage) rows = rows.Where(r => r.Stage == stage);
        else if (!query.IncludeArchived) rows = rows.Where(r => r.Stage != Stage.Archived);
        return rows.OrderBy(r => r.Module.Name).ThenByDescending(r => r.Version.Version)
            .ToPageAsync(page ?? new(), r => r.ToView(), ct);
    }

    public async Task<ModuleVersionView> GetVersionAsync(Guid versionId, CancellationToken ct) =>
        (await VersionRows.SingleOrDefaultAsync(r => r.Version.Id == versionId, ct)
            ?? throw new NotFoundException("module version", versionId.ToString())).ToView();

    /// <summary>A version of a module by number or <c>latest</c> (the highest that is not archived).</summary>
    public async Task<ModuleVersionView> GetVersionAsync(Guid moduleId, string version, CancellationToken ct)
    {
        var rows = VersionRows.Where(r => r.Module.Id == moduleId);
        VersionRow? row;
        if (string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase))
            row = await rows.Where(r => r.Stage != Stage.Archived).OrderByDescending(r => r.Version.Version).FirstOrDefaultAsync(ct);
        else if (int.TryParse(version, out var number))
            row = await rows.SingleOrDefaultAsync(r => r.Version.Version == number, ct);
        else
            throw new InvalidModuleOperationException("version", $"'{version}' is neither a version number nor 'latest'");
        return row?.ToView() ?? throw new NotFoundException("module version", $"{moduleId}@{version}");
    }

    /// <summary>The version's weights: safetensors bytes (relative tensor names), hash-checked.</summary>
    public async Task<Stream> OpenWeightsAsync(Guid versionId, CancellationToken ct)
    {
        var sha = await db.ModuleVersions.Where(v => v.Id == versionId).Select(v => v.Sha256).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("module version", versionId.ToString());
        return await blobs.OpenReadAsync(sha, $"module version {versionId}", ct);
    }

    public Task<StageChange> SetStageAsync(Guid versionId, Stage stage, string actor, string? reason, CancellationToken ct) =>
        stages.SetAsync(TargetType.ModuleVersion, versionId, stage, actor, reason, ct);

    public Task<StageChange> ArchiveAsync(Guid versionId, string actor, string? reason, CancellationToken ct) =>
        stages.ArchiveAsync(TargetType.ModuleVersion, versionId, actor, reason, ct);

    public Task<StageChange> RestoreAsync(Guid versionId, string actor, string? reason, CancellationToken ct) =>
        stages.RestoreAsync(TargetType.ModuleVersion, versionId, actor, reason, ct);

    /// <summary>
    /// Registers a part produced elsewhere (e.g. a fine-tuning job) as a version of its module in the family; the
    /// part is checked against the family's shapes first. Identical bytes return the existing version.
    /// </summary>
    public async Task<ModuleVersionView> CreateVersionAsync(Guid familyId, ModulePart part, Provenance provenance, Stage stage,
        string actor, CancellationToken ct)
    {
        var family = await db.Families.AsNoTracking().SingleOrDefaultAsync(f => f.Id == familyId, ct)
            ?? throw new NotFoundException("family", familyId.ToString());
        try { ModuleLayout.CheckPart(FamilyConfig.ToConfig(family.ConfigJson), part); }
        catch (ModuleSurgeryException e) { throw new InvalidModuleOperationException(e.Part, e.Problem, e); }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var written = await writer.WriteAsync(family, part, provenance, stage, Actor.Require(actor), ct);
            await tx.CommitAsync(ct);
            return await GetVersionAsync(written.Version.Id, ct);
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
    }
}
