using Microsoft.EntityFrameworkCore;
using Npgsql;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;

namespace ModuleService.Registry.Assemblies;

/// <summary>Creates assembly versions (for imports and compositions) and finds the latest one of a name.</summary>
public sealed class AssemblyWriter(RegistryDbContext db, StageLog stages, AuditLog audit, TimeProvider time)
{
    /// <summary>Assemblies with their current stage, for queries that filter or show it.</summary>
    internal IQueryable<AssemblyRow> Rows => db.Assemblies.AsNoTracking().Select(a => new AssemblyRow
    {
        Assembly = a,
        Stage = db.StageEvents.Where(e => e.TargetType == TargetType.Assembly && e.TargetId == a.Id)
            .OrderByDescending(e => e.Id).Select(e => e.Stage).FirstOrDefault(),
    });

    /// <summary>The highest version of <paramref name="name"/> that is not archived, or null.</summary>
    internal Task<AssemblyRow?> LatestAsync(string name, CancellationToken ct) =>
        Rows.Where(r => r.Assembly.Name == name && r.Stage != Stage.Archived)
            .OrderByDescending(r => r.Assembly.Version).FirstOrDefaultAsync(ct);

    /// <summary>Adds version max+1 of <paramref name="name"/> with its first stage event and audit entry, and saves.</summary>
    internal async Task<Assembly> CreateAsync(string name, Family family, Manifest manifest, Guid? parentId, string? notes,
        string? evaluation, Stage stage, string actor, string origin, CancellationToken ct)
    {
        RequireName(name);
        var other = await db.Assemblies.Where(a => a.Name == name && a.FamilyId != family.Id).Select(a => a.Version).FirstOrDefaultAsync(ct);
        if (other != 0)
            throw new ConflictException($"assembly '{name}' already has versions of another family (e.g. version {other}); use a new name");
        var next = (await db.Assemblies.Where(a => a.Name == name).MaxAsync(a => (int?)a.Version, ct) ?? 0) + 1;
        var assembly = new Assembly
        {
            Id = Guid.CreateVersion7(), Name = name, Version = next, FamilyId = family.Id, Manifest = manifest.ToJson(),
            ManifestHash = manifest.ContentHash(), ParentAssemblyId = parentId, Notes = notes, Evaluation = evaluation,
            CreatedAt = time.GetUtcNow(), CreatedBy = actor,
        };
        db.Assemblies.Add(assembly);
        stages.Start(TargetType.Assembly, assembly.Id, stage, actor, origin);
        audit.Append(actor, "assembly.create", TargetType.Assembly, assembly.Id, new
        {
            name, version = next, assembly.ManifestHash, familyId = family.Id, parentId, origin, stage = stage.ToString(),
            attentionExperts = manifest.AttentionExperts, mlpExperts = manifest.MlpExperts,
        });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw new ConflictException($"assembly '{name}' version {next} was created concurrently; retry");
        }
        return assembly;
    }

    static void RequireName(string name)
    {
        if (!AssemblyNames.IsValid(name))
            throw new InvalidModuleOperationException("name", $"assembly name '{name}': {AssemblyNames.Rule}");
    }
}

/// <summary>An assembly row with its current stage.</summary>
internal sealed class AssemblyRow
{
    public required Assembly Assembly { get; init; }
    public Stage Stage { get; init; }
}
