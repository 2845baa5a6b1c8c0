using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using ModuleService.Model;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;

namespace ModuleService.Registry.Imports;

/// <summary>
/// Imports a Hugging Face style checkpoint as an assembly: every part becomes a module version (deduplicated by
/// content), the manifest becomes a new assembly version unless it equals the latest one. All in one transaction:
/// a checkpoint that fails anywhere leaves no rows and no blobs.
/// </summary>
public sealed class CheckpointImporter(RegistryDbContext db, FamilyRegistrar families, ModuleVersionWriter versions,
    AssemblyWriter assemblies, IOptions<RegistryOptions> options, IOptions<ImportOptions> imports)
{
    /// <summary>Imports a server-side checkpoint folder.</summary>
    /// <exception cref="InvalidModuleOperationException">Target names the file or tensor at fault, or "path" when the
    /// folder is outside the configured import roots.</exception>
    public Task<ImportResult> ImportFolderAsync(string path, string assemblyName, string actor, CancellationToken ct)
    {
        // Checked here as well as at submission: an import job runs later, and links can change in between.
        if (imports.Value.PathProblem(path) is { } problem) throw new InvalidModuleOperationException("path", problem);
        return ImportAsync(Path.GetFullPath(path), assemblyName, actor, Provenance.Import(Path.GetFullPath(path), assemblyName), ct);
    }

    /// <summary>Imports an uploaded .tar of a checkpoint folder (unpacked safely into a temporary folder first).</summary>
    public async Task<ImportResult> ImportTarAsync(Stream tar, string assemblyName, string actor, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("modsvc-import-");
        try
        {
            var settings = options.Value;
            var folder = await TarExtractor.ExtractAsync(tar, temp.FullName, settings.MaxTarBytes, settings.MaxTarEntries, ct);
            return await ImportAsync(folder, assemblyName, actor, Provenance.Import("upload", assemblyName), ct);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    async Task<ImportResult> ImportAsync(string folder, string assemblyName, string actor, Provenance provenance, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        // Everything that can be wrong with the files is found before the first write.
        using var set = Load(folder);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        try
        {
            var family = await families.FindOrCreateAsync(set.Family, folder, actor, ct);
            var entries = new Dictionary<string, ManifestEntry>();
            int newVersions = 0, newBlobs = 0;
            foreach (var part in set.Parts)
            {
                var written = await versions.WriteAsync(family, part, provenance, Stage.Active, actor, ct);
                entries[part.Name] = new ManifestEntry(written.Version.Id, part.Name, written.Version.Version, written.Version.Sha256);
                newVersions += written.Created ? 1 : 0;
                newBlobs += written.BlobCreated ? 1 : 0;
            }
            var manifest = BuildManifest(set, family.FamilyHash, entries);
            var hash = manifest.ContentHash();
            var latest = await assemblies.LatestAsync(assemblyName, ct);
            var assembly = latest is not null && latest.Assembly.ManifestHash == hash && latest.Assembly.FamilyId == family.Id
                ? latest.Assembly
                : await assemblies.CreateAsync(assemblyName, family, manifest, latest?.Assembly.Id, null, null, Stage.Active,
                    actor, provenance.Path == "upload" ? "import (upload)" : $"import {provenance.Path}", ct);
            await tx.CommitAsync(ct);
            return new ImportResult(assembly.Name, assembly.Version, assembly.ManifestHash, set.Parts.Count, assembly.Id,
                family.Id, assembly != latest?.Assembly, newVersions, newBlobs);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            db.ChangeTracker.Clear();
            throw new ConflictException($"a concurrent import created the same family, module or version; retry ({e.InnerException.Message})");
        }
        catch
        {
            // The transaction rolls back; forget the entities too, so the context stays usable for the caller.
            db.ChangeTracker.Clear();
            throw;
        }
    }

    /// <summary>Loads and splits the checkpoint, turning model-library errors into ones that name the culprit.</summary>
    static ModuleSet Load(string folder)
    {
        string Relative(string file) => Path.GetRelativePath(folder, file) is var r && !r.StartsWith("..") ? r : Path.GetFileName(file);
        string Clean(string message) => message.Replace(folder + Path.DirectorySeparatorChar, "").Replace(folder, ".");
        try
        {
            var (config, stateDict) = CheckpointLoader.Load(folder, dtype: null);   // null keeps the file's dtype: bit-exact
            try { return ModuleSplitter.Split(config, stateDict); }
            finally { foreach (var tensor in stateDict.Values) tensor.Dispose(); }
        }
        catch (CheckpointFormatException e)
        {
            throw new InvalidModuleOperationException(e.TensorName ?? Relative(e.File), Clean(e.Message), e);
        }
        catch (ModuleFormerConfigException e)
        {
            throw new InvalidModuleOperationException(CheckpointLoader.ConfigFile, Clean(e.Message), e);
        }
        catch (ModuleSurgeryException e)
        {
            throw new InvalidModuleOperationException(e.Part, e.Problem, e);
        }
    }

    static Manifest BuildManifest(ModuleSet set, string familyHash, Dictionary<string, ManifestEntry> entries)
    {
        ManifestEntry Single(ModuleKind kind, int? layer) => entries[ModuleLayout.PartName(kind, layer)];
        var layers = Enumerable.Range(0, set.Family.Layers).Select(layer => new ManifestLayer(
            Single(ModuleKind.LayerShared, layer),
            set.Experts(layer, ModuleKind.AttentionExpert).Select(p => entries[p.Name]).ToList(),
            set.Experts(layer, ModuleKind.MlpExpert).Select(p => entries[p.Name]).ToList())).ToList();
        return new Manifest(familyHash, Single(ModuleKind.Embedding, null), Single(ModuleKind.Head, null), layers);
    }
}
