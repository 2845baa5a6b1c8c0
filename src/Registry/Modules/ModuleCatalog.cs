using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Modules;

/// <summary>Browsing families, modules and module versions; weights; version stages; versions made by jobs.</summary>
public sealed partial class ModuleCatalog(RegistryDbContext db, BlobStore blobs, StageLog stages, ModuleVersionWriter writer)
{
    /// <summary>Families by name; <paramref name="name"/> matches a substring.</summary>
    public Task<Page<FamilyView>> ListFamiliesAsync(string? name, PageRequest? page, CancellationToken ct)
    {
        var rows = db.Families.AsNoTracking();
        if (!string.IsNullOrEmpty(name)) rows = rows.Where(f => f.Name.Contains(name));
        return rows.OrderBy(f => f.Name).ToPageAsync(page ?? new(), ToView, ct);
    }

    /// <summary>A family by id, name or family hash.</summary>
    public async Task<FamilyView> GetFamilyAsync(string key, CancellationToken ct)
    {
        var rows = db.Families.AsNoTracking();
        var family = Guid.TryParse(key, out var id)
            ? await rows.SingleOrDefaultAsync(f => f.Id == id, ct)
            : await rows.FirstOrDefaultAsync(f => f.Name == key || f.FamilyHash == key, ct);
        return family is null ? throw new NotFoundException("family", key) : ToView(family);
    }

    /// <summary>Modules ordered by family, layer (embedding and head, which have none, last), kind and name.</summary>
    public Task<Page<ModuleView>> ListModulesAsync(ModuleQuery? query, PageRequest? page, CancellationToken ct)
    {
        query ??= new();
        var rows = db.Modules.AsNoTracking();
        if (query.FamilyId is { } familyId) rows = rows.Where(m => m.FamilyId == familyId);
        if (query.Kind is { } kind) rows = rows.Where(m => m.Kind == kind);
        if (query.Layer is { } layer) rows = rows.Where(m => m.Layer == layer);
        if (!string.IsNullOrEmpty(query.Name)) rows = rows.Where(m => m.Name.Contains(query.Name));
        return rows.OrderBy(m => m.FamilyId).ThenBy(m => m.Layer).ThenBy(m => m.Kind).ThenBy(m => m.Name)
            .Select(m => new { Module = m, Count = db.ModuleVersions.Count(v => v.ModuleId == m.Id) })
            .ToPageAsync(page ?? new(), r => ToView(r.Module, r.Count), ct);
    }

    public async Task<ModuleView> GetModuleAsync(Guid id, CancellationToken ct)
    {
        var row = await db.Modules.AsNoTracking().Where(m => m.Id == id)
            .Select(m => new { Module = m, Count = db.ModuleVersions.Count(v => v.ModuleId == m.Id) })
            .SingleOrDefaultAsync(ct) ?? throw new NotFoundException("module", id.ToString());
        return ToView(row.Module, row.Count);
    }

    static FamilyView ToView(Family f) => new(f.Id, f.Name, f.FamilyHash, f.Tokenizer,
        JsonSerializer.Deserialize<JsonElement>(f.ConfigJson),
        JsonSerializer.Deserialize<Dictionary<string, string>>(f.TokenizerFiles) ?? [], f.CreatedAt);

    static ModuleView ToView(Module m, int versions) =>
        new(m.Id, m.FamilyId, m.Kind, m.Layer, m.Name, versions, m.CreatedAt, m.CreatedBy);
}
