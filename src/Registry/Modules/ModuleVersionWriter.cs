using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Modules;

/// <summary>Result of <see cref="ModuleVersionWriter.WriteAsync"/>: the version holding the part's bytes.</summary>
public sealed record ModuleVersionWrite(Module Module, ModuleVersion Version, bool Created, bool BlobCreated);

/// <summary>
/// Turns a <see cref="ModulePart"/> into a module version: canonical bytes → blob → module (created on first
/// sight) → version. Identical bytes for the same module reuse the existing version, which makes re-imports free.
/// </summary>
public sealed class ModuleVersionWriter(RegistryDbContext db, BlobStore blobs, StageLog stages, AuditLog audit, TimeProvider time)
{
    /// <summary>Parts up to this size are serialised in memory; larger ones (embeddings of big vocabularies) spill to disk.</summary>
    const long InMemoryBytes = 64L * 1024 * 1024;

    /// <summary>Writes inside the caller's transaction and saves; the caller commits.</summary>
    public async Task<ModuleVersionWrite> WriteAsync(Family family, ModulePart part, Provenance provenance, Stage stage,
        string actor, CancellationToken ct)
    {
        var put = await StoreAsync(part, ct);
        var module = await db.Modules.SingleOrDefaultAsync(m => m.FamilyId == family.Id && m.Name == part.Name, ct);
        if (module is null)
        {
            module = new Module
            {
                Id = Guid.CreateVersion7(), FamilyId = family.Id, Kind = part.Kind, Layer = part.Layer, Name = part.Name,
                CreatedAt = time.GetUtcNow(), CreatedBy = actor,
            };
            db.Modules.Add(module);
            audit.Append(actor, "module.create", TargetType.Module, module.Id, new { module.Name, kind = module.Kind.ToString(), module.Layer, familyId = family.Id });
        }
        else if (module.Kind != part.Kind || module.Layer != part.Layer)
        {
            throw new InvalidModuleOperationException(part.Name, $"is a {part.Kind} part of layer {part.Layer}, but the family's module of that name is a {module.Kind} of layer {module.Layer}");
        }

        var versions = await db.ModuleVersions.AsNoTracking().Where(v => v.ModuleId == module.Id)
            .OrderByDescending(v => v.Version).ToListAsync(ct);
        var same = versions.FirstOrDefault(v => v.Sha256 == put.Sha256);
        if (same is not null) return new ModuleVersionWrite(module, same, false, put.Created);

        var version = new ModuleVersion
        {
            Id = Guid.CreateVersion7(),
            ModuleId = module.Id,
            Version = versions.Count == 0 ? 1 : versions[0].Version + 1,
            Sha256 = put.Sha256,
            DType = SafetensorsDType.NameOf(part.DType),
            Shapes = JsonSerializer.Serialize(new SortedDictionary<string, long[]>(part.Shapes.ToDictionary(), StringComparer.Ordinal)),
            ParentVersionId = versions.FirstOrDefault()?.Id,
            Provenance = provenance.ToJson(),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = actor,
        };
        db.ModuleVersions.Add(version);
        stages.Start(TargetType.ModuleVersion, version.Id, stage, actor, provenance.Source);
        audit.Append(actor, "module_version.create", TargetType.ModuleVersion, version.Id,
            new { module = module.Name, version.Version, version.Sha256, size = put.Size, stage = stage.ToString(), provenance });
        await db.SaveChangesAsync(ct);
        return new ModuleVersionWrite(module, version, true, put.Created);
    }

    /// <summary>The canonical bytes of a part: safetensors of its relative tensors, deterministic for equal tensors.</summary>
    public static void WriteCanonical(ModulePart part, Stream stream) => SafetensorsWriter.Write(stream, part.Tensors);

    async Task<BlobPutResult> StoreAsync(ModulePart part, CancellationToken ct)
    {
        var bytes = part.Tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize);
        await using Stream buffer = bytes <= InMemoryBytes
            ? new MemoryStream((int)bytes + 4096)
            : new FileStream(Path.Combine(Path.GetTempPath(), $"modsvc-part-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        WriteCanonical(part, buffer);
        buffer.Position = 0;
        return await blobs.PutAsync(buffer, ct);
    }
}
