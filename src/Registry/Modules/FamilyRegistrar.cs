using Microsoft.EntityFrameworkCore;
using ModuleService.Model;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Modules;

/// <summary>Finds the family of a checkpoint, creating it (and storing its tokenizer files) on first sight.</summary>
public sealed class FamilyRegistrar(RegistryDbContext db, BlobStore blobs, AuditLog audit, TimeProvider time)
{
    /// <summary>
    /// Stores the tokenizer files found in <paramref name="folder"/> as blobs (deduplicated) and returns the family
    /// whose hash covers config + tokenizer. Saves inside the caller's transaction.
    /// </summary>
    public async Task<Family> FindOrCreateAsync(ModuleFormerConfig config, string folder, string actor, CancellationToken ct)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in FamilyConfig.TokenizerFileNames)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            await using var stream = File.OpenRead(path);
            files[name] = (await blobs.PutAsync(stream, ct)).Sha256;
        }
        var configNode = FamilyConfig.Normalize(config);
        var tokenizer = FamilyConfig.TokenizerId(config, files);
        var hash = FamilyConfig.Hash(configNode, tokenizer, files);
        var existing = await db.Families.SingleOrDefaultAsync(f => f.FamilyHash == hash, ct);
        if (existing is not null) return existing;

        var family = new Family
        {
            Id = Guid.CreateVersion7(),
            Name = $"moduleformer-l{config.Layers}-d{config.HiddenSize}-{hash[..8]}",
            ConfigJson = configNode.ToJsonString(),
            Tokenizer = tokenizer,
            FamilyHash = hash,
            TokenizerFiles = System.Text.Json.JsonSerializer.Serialize(files),
            CreatedAt = time.GetUtcNow(),
        };
        db.Families.Add(family);
        audit.Append(actor, "family.create", TargetType.Family, family.Id, new { family.Name, family.FamilyHash, tokenizer, files = files.Keys });
        await db.SaveChangesAsync(ct);
        return family;
    }
}
