using System.Text.Json;
using ModuleService.Model;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;
using static TorchSharp.torch;

namespace ModuleService.Jobs.Finetune;

/// <summary>What a finetune registered: the new assembly and, per changed slot, the module and its new version.</summary>
public sealed record FinetuneRegistered(AssemblyDetail Assembly, IReadOnlyList<ModuleVersionView> NewVersions);

/// <summary>
/// Turns finetuned weights into registry rows: a new version of each module whose weights changed (the module the
/// base manifest has in that slot, so lineage stays per module), and a draft assembly that is the base with those
/// slots swapped. Unchanged modules are referenced as they are.
/// </summary>
public static class FinetuneRegistration
{
    /// <param name="changed">position part names (<see cref="ModuleLayout.PartName"/>) whose hash changed.</param>
    public static async Task<FinetuneRegistered> RegisterAsync(ModuleCatalog catalog, AssemblyService assemblies, AssemblyDetail baseAssembly,
        ModuleFormerConfig config, IReadOnlyDictionary<string, Tensor> stateDict, IReadOnlySet<string> changed, Provenance provenance,
        string name, string notes, JsonElement evaluation, string actor, CancellationToken ct)
    {
        using var parts = ModuleSplitter.Split(config, stateDict);
        var slots = baseAssembly.Manifest.Slots().ToList();
        var newVersions = new Dictionary<ManifestSlot, ModuleVersionView>();
        foreach (var slot in slots.Where(s => changed.Contains(PartName(s))))
        {
            var part = parts.Find(PartName(slot)) ?? throw new InvalidOperationException($"the trained model has no part {PartName(slot)}");
            // The module keeps its own layer, which a composed assembly may have placed elsewhere.
            var old = await catalog.GetVersionAsync(slot.Entry.VersionId, ct);
            var renamed = new ModulePart(part.Kind, old.Layer, part.ExpertIndex, slot.Entry.Module, part.Tensors);
            newVersions[slot] = await catalog.CreateVersionAsync(baseAssembly.Summary.FamilyId, renamed, provenance, Stage.Draft, actor, ct);
        }

        // Experts are a list: remove the old versions, then insert again in ascending position so every slot keeps its
        // index. Removing drops every occurrence of a version, so slots sharing a replaced version go back in too.
        var removed = newVersions.Keys.Where(IsExpert).Select(s => s.Entry.VersionId).ToHashSet();
        var additions = slots.Where(s => newVersions.ContainsKey(s) || IsExpert(s) && removed.Contains(s.Entry.VersionId))
            .OrderBy(s => s.Layer ?? -1).ThenBy(s => s.Kind).ThenBy(s => s.Position ?? -1)
            .Select(s => new ModuleAddition(newVersions.TryGetValue(s, out var v) ? v.Id : s.Entry.VersionId, s.Layer, s.Position))
            .ToList();
        var created = await assemblies.ComposeAsync(new ComposeRequest(name,
            new AssemblyRef(baseAssembly.Summary.Name, baseAssembly.Summary.Version.ToString()), additions, removed.ToList(), notes,
            evaluation, Stage.Draft), actor, ct);
        return new FinetuneRegistered(created, newVersions.Values.ToList());
    }

    static string PartName(ManifestSlot slot) => ModuleLayout.PartName(slot.Kind, slot.Layer, slot.Position);

    static bool IsExpert(ManifestSlot slot) => slot.Kind is ModuleKind.AttentionExpert or ModuleKind.MlpExpert;
}
