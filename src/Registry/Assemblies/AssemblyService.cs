using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Assemblies;

/// <summary>
/// Assemblies: look-up (a version number or <c>latest</c> wherever a version is asked for), listing, composition,
/// diff, stage changes and export. Split over partial files by concern.
/// </summary>
public sealed partial class AssemblyService(RegistryDbContext db, AssemblyWriter writer, StageLog stages,
    BlobStore blobs)
{
    public async Task<AssemblyDetail> GetAsync(AssemblyRef target, CancellationToken ct) =>
        await DetailAsync(await ResolveAsync(target, ct), ct);

    public async Task<AssemblyDetail> GetAsync(Guid id, CancellationToken ct) => await DetailAsync(await ResolveAsync(id, ct), ct);

    /// <summary>Newest first within a name; names in order.</summary>
    public Task<Page<AssemblySummary>> ListAsync(AssemblyQuery? query, PageRequest? page, CancellationToken ct)
    {
        query ??= new();
        var rows = writer.Rows;
        if (query.Name is { } name) rows = rows.Where(r => r.Assembly.Name == name);
        if (query.FamilyId is { } familyId) rows = rows.Where(r => r.Assembly.FamilyId == familyId);
        if (query.Stage is { } stage) rows = rows.Where(r => r.Stage == stage);
        else if (!query.IncludeArchived) rows = rows.Where(r => r.Stage != Stage.Archived);
        return rows.OrderBy(r => r.Assembly.Name).ThenByDescending(r => r.Assembly.Version)
            .ToPageAsync(page ?? new(), Summary, ct);
    }

    public async Task<StageChange> SetStageAsync(AssemblyRef target, Stage stage, string actor, string? reason, CancellationToken ct) =>
        await stages.SetAsync(TargetType.Assembly, (await ResolveAsync(target, ct)).Assembly.Id, stage, actor, reason, ct);

    /// <summary>Deleting is archiving: the assembly stays, hidden from <c>latest</c> and default listings.</summary>
    public async Task<StageChange> ArchiveAsync(AssemblyRef target, string actor, string? reason, CancellationToken ct) =>
        await stages.ArchiveAsync(TargetType.Assembly, (await ResolveAsync(target, ct)).Assembly.Id, actor, reason, ct);

    /// <summary>Back to the stage it had before archiving. Needs an explicit version (<c>latest</c> skips archived ones).</summary>
    public async Task<StageChange> RestoreAsync(AssemblyRef target, string actor, string? reason, CancellationToken ct) =>
        await stages.RestoreAsync(TargetType.Assembly, (await ResolveAsync(target, ct)).Assembly.Id, actor, reason, ct);

    internal async Task<AssemblyRow> ResolveAsync(AssemblyRef target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (string.Equals(target.Version, AssemblyRef.Latest, StringComparison.OrdinalIgnoreCase))
            return await writer.LatestAsync(target.Name, ct) ?? throw new NotFoundException("assembly", target.ToString());
        if (!int.TryParse(target.Version, out var version) || version < 1)
            throw new InvalidModuleOperationException("version", $"'{target.Version}' is neither a version number nor '{AssemblyRef.Latest}'");
        return await writer.Rows.SingleOrDefaultAsync(r => r.Assembly.Name == target.Name && r.Assembly.Version == version, ct)
            ?? throw new NotFoundException("assembly", target.ToString());
    }

    internal async Task<AssemblyRow> ResolveAsync(Guid id, CancellationToken ct) =>
        await writer.Rows.SingleOrDefaultAsync(r => r.Assembly.Id == id, ct) ?? throw new NotFoundException("assembly", id.ToString());

    async Task<AssemblyDetail> DetailAsync(AssemblyRow row, CancellationToken ct)
    {
        var familyName = await db.Families.Where(f => f.Id == row.Assembly.FamilyId).Select(f => f.Name).SingleAsync(ct);
        JsonElement? evaluation = row.Assembly.Evaluation is { } json ? JsonSerializer.Deserialize<JsonElement>(json) : null;
        return new AssemblyDetail(Summary(row), familyName, Manifest.Parse(row.Assembly.Manifest), evaluation);
    }

    static AssemblySummary Summary(AssemblyRow row) => new(row.Assembly.Id, row.Assembly.Name, row.Assembly.Version,
        row.Assembly.FamilyId, row.Assembly.ManifestHash, row.Stage, row.Assembly.ParentAssemblyId, row.Assembly.Notes,
        row.Assembly.CreatedAt, row.Assembly.CreatedBy);
}
