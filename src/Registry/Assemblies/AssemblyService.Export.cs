using System.Formats.Tar;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Modules;
using static TorchSharp.torch;

namespace ModuleService.Registry.Assemblies;

public sealed partial class AssemblyService
{
    /// <summary>
    /// The assembly as a ModuleFormer config (family + expert counts) and state dict in reference key order,
    /// without attention buffers; every blob is hash-checked on the way. The caller owns (disposes) the tensors.
    /// </summary>
    public async Task<(ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict)> BuildStateDictAsync(
        AssemblyRef target, CancellationToken ct) => await BuildAsync(await ResolveAsync(target, ct), ct);

    public async Task<(ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict)> BuildStateDictAsync(
        Guid assemblyId, CancellationToken ct) =>
        await BuildAsync(await ResolveAsync(assemblyId, ct), ct);

    /// <summary>
    /// Writes a tar of a Hugging Face style folder: config.json, model.safetensors (reference names, attention
    /// buffers included so a strict PyTorch load works) and the family's tokenizer files. Entries carry the
    /// assembly's creation time, so exporting the same version twice gives the same bytes.
    /// </summary>
    public async Task ExportTarAsync(AssemblyRef target, Stream output, CancellationToken ct)
    {
        var row = await ResolveAsync(target, ct);
        var tokenizerJson = await db.Families.Where(f => f.Id == row.Assembly.FamilyId).Select(f => f.TokenizerFiles).SingleAsync(ct);
        var tokenizerFiles = JsonSerializer.Deserialize<SortedDictionary<string, string>>(tokenizerJson) ?? [];
        var folder = Directory.CreateTempSubdirectory("modsvc-export-");
        try
        {
            var (config, stateDict) = await BuildAsync(row, ct);
            try { CheckpointWriter.Save(folder.FullName, config, stateDict); }
            finally { foreach (var tensor in stateDict.Values) tensor.Dispose(); }
            // Every blob is verified before the first byte goes out: a damaged one must fail the request, not cut the tar.
            var tokenizerPaths = new List<(string Name, string Path)>();
            foreach (var (name, sha) in tokenizerFiles)
                tokenizerPaths.Add((name, await blobs.GetVerifiedFileAsync(sha, $"tokenizer file {name}", ct)));

            var time = DateTimeOffset.FromUnixTimeSeconds(row.Assembly.CreatedAt.ToUnixTimeSeconds());
            await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var name in new[] { CheckpointLoader.ConfigFile, CheckpointLoader.SafetensorsFile })
            {
                await using var file = File.OpenRead(Path.Combine(folder.FullName, name));
                await WriteEntryAsync(tar, name, file, time, ct);
            }
            foreach (var (name, path) in tokenizerPaths)
            {
                await using var file = File.OpenRead(path);
                await WriteEntryAsync(tar, name, file, time, ct);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    static Task WriteEntryAsync(TarWriter tar, string name, Stream data, DateTimeOffset time, CancellationToken ct) =>
        tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data,
            ModificationTime = time,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        }, ct);

    async Task<(ModuleFormerConfig Config, Dictionary<string, Tensor> StateDict)> BuildAsync(AssemblyRow row, CancellationToken ct)
    {
        var (family, sources) = await PartSourcesAsync(row, ct);
        var parts = new List<ModulePart>();
        try
        {
            foreach (var source in sources) parts.Add(source.Open());
            try { return ModuleAssembler.Assemble(family, parts); }
            catch (ModuleSurgeryException e) { throw new InvalidModuleOperationException(e.Part, e.Problem, e); }
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>
    /// The assembly as a model in eval mode, built part by part (<see cref="ModuleAssembler.Build"/>): peak memory is
    /// the model plus one module, not a state dict beside the model.
    /// </summary>
    /// <param name="dtype">the weights' dtype; parts are converted as they are copied in.</param>
    public async Task<ModuleFormerForCausalLM> BuildModelAsync(Guid assemblyId, ScalarType dtype, CancellationToken ct)
    {
        var (family, sources) = await PartSourcesAsync(await ResolveAsync(assemblyId, ct), ct);
        try { return ModuleAssembler.Build(family, sources, dtype); }
        catch (ModuleSurgeryException e) { throw new InvalidModuleOperationException(e.Part, e.Problem, e); }
    }

    /// <summary>The family config and one source per manifest slot; every blob is verified (and cached on disk) first.</summary>
    async Task<(ModuleFormerConfig Family, List<PartSource> Sources)> PartSourcesAsync(AssemblyRow row, CancellationToken ct)
    {
        var familyJson = await db.Families.Where(f => f.Id == row.Assembly.FamilyId).Select(f => f.ConfigJson).SingleAsync(ct);
        var manifest = Manifest.Parse(row.Assembly.Manifest);
        var sources = new List<PartSource>();
        foreach (var slot in manifest.Slots())
        {
            var path = await blobs.GetVerifiedFileAsync(slot.Entry.Sha256,
                $"module version {slot.Entry.VersionId} ({slot.Entry.Module} v{slot.Entry.Version})", ct);
            var (kind, layer, position, name) = (slot.Kind, slot.Layer, slot.Position, $"{slot.Entry.Module}@v{slot.Entry.Version}");
            sources.Add(new PartSource(kind, layer, position, name, () => new ModulePart(kind, layer, position, name, SafetensorsReader.Load(path))));
        }
        return (FamilyConfig.ToConfig(familyJson), sources);
    }
}
