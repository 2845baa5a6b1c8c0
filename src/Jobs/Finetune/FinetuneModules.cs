using System.Text.RegularExpressions;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Modules;

namespace ModuleService.Jobs.Finetune;

/// <summary>
/// Reads the finetune job's <c>modules</c> parameter into what trains. Items are module names as the assembly's
/// manifest has them (<c>layer0.mlp.expert3</c>, <c>layer1.shared</c>, <c>embedding</c>, <c>head</c>), module or
/// module version ids, or group words: <c>all</c>, <c>experts</c>, <c>mlp</c>, <c>attn</c>, <c>shared</c>,
/// <c>routers</c>, <c>layerN</c>, <c>layerN.mlp</c>, <c>layerN.attn</c>. No items means <c>all</c>.
/// </summary>
public static partial class FinetuneModules
{
    public const string Field = "modules";

    const string Help = "give module names (layer0.mlp.expert1, layer0.shared, embedding, head), module or module version ids, " +
                        "or groups: all, experts, mlp, attn, shared, routers, layerN, layerN.mlp, layerN.attn";

    /// <summary>Resolves the items against <paramref name="assembly"/>; module ids that are not version ids are looked up.</summary>
    /// <exception cref="JobParameterException">An item names nothing in the assembly (field <c>modules</c>).</exception>
    public static async Task<TrainableSelection> ResolveAsync(IReadOnlyList<string> items, AssemblyDetail assembly, ModuleCatalog catalog,
        CancellationToken ct)
    {
        var moduleNames = new Dictionary<Guid, string>();
        var versionIds = assembly.Manifest.Slots().Select(s => s.Entry.VersionId).ToHashSet();
        foreach (var item in items)
        {
            if (!Guid.TryParse(item, out var id) || versionIds.Contains(id)) continue;
            try { moduleNames[id] = (await catalog.GetModuleAsync(id, ct)).Name; }
            catch (NotFoundException) { /* reported by Resolve with the other unknown items */ }
        }
        return Resolve(items, assembly.Manifest, $"{assembly.Summary.Name}@{assembly.Summary.Version}", moduleNames);
    }

    /// <param name="moduleNames">module id → module name, for items that are module ids.</param>
    /// <param name="label">the assembly as errors name it.</param>
    public static TrainableSelection Resolve(IReadOnlyList<string> items, Manifest manifest, string label, IReadOnlyDictionary<Guid, string> moduleNames)
    {
        if (items.Count == 0 || items.Contains("all")) return TrainableSelection.All;
        // Slots are named by position, as the model built from the manifest knows them; a pruned or composed
        // assembly's module names need not match their positions.
        var slots = manifest.Slots().Select(s => (s.Entry, Part: ModuleLayout.PartName(s.Kind, s.Layer, s.Position), s.Kind, s.Layer)).ToList();
        var parts = new List<string>();
        bool routers = false;
        foreach (var item in items)
        {
            if (item == "routers") { routers = true; continue; }
            var found = slots.Where(s => Matches(item, s.Entry, s.Kind, s.Layer, moduleNames)).Select(s => s.Part).ToList();
            if (found.Count == 0)
                throw new JobParameterException(Field, LayerOf(item) is { } layer && layer >= manifest.Layers.Count
                    ? $"'{item}': {label} has {manifest.Layers.Count} layers"
                    : $"'{item}' is not a module of {label}; {Help}");
            parts.AddRange(found);
        }
        var selections = new List<TrainableSelection>();
        if (parts.Count > 0) selections.Add(TrainableSelection.Parts(parts));
        if (routers) selections.Add(TrainableSelection.Routers);
        return TrainableSelection.Union(selections);
    }

    static bool Matches(string item, ManifestEntry entry, ModuleKind kind, int? layer, IReadOnlyDictionary<Guid, string> moduleNames)
    {
        if (Guid.TryParse(item, out var id)) return entry.VersionId == id || moduleNames.TryGetValue(id, out var name) && entry.Module == name;
        if (entry.Module == item) return true;
        bool expert = kind is ModuleKind.AttentionExpert or ModuleKind.MlpExpert;
        switch (item)
        {
            case "experts": return expert;
            case "mlp": return kind == ModuleKind.MlpExpert;
            case "attn" or "attention": return kind == ModuleKind.AttentionExpert;
            case "shared": return kind == ModuleKind.LayerShared;
            case "embedding": return kind == ModuleKind.Embedding;
            case "head": return kind == ModuleKind.Head;
        }
        var group = LayerGroup().Match(item);
        if (!group.Success || layer != int.Parse(group.Groups[1].Value)) return false;
        return group.Groups[2].Value switch
        {
            "" => true,
            ".mlp" => kind == ModuleKind.MlpExpert,
            ".attn" => kind == ModuleKind.AttentionExpert,
            _ => kind == ModuleKind.LayerShared,
        };
    }

    static int? LayerOf(string item) => LayerGroup().Match(item) is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;

    [GeneratedRegex(@"^layer(\d{1,6})(|\.mlp|\.attn|\.shared)$")]
    private static partial Regex LayerGroup();
}
