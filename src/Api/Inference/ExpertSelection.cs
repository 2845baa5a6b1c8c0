using ModuleService.Inference.Batching;
using ModuleService.Registry.Assemblies;

namespace ModuleService.Api.Inference;

/// <summary>Turns a request's <c>modules</c> (include/exclude by module name or version id) into per-layer masks.</summary>
public static class ExpertSelection
{
    /// <returns>null when the request restricts nothing; otherwise the masks and what to report back.</returns>
    /// <exception cref="RequestFieldException">an unknown module, or a layer left with fewer than k experts.</exception>
    public static (IReadOnlyList<LayerExpertSelection> Mask, ModulesUsed Used)? From(ModuleSelection? selection, ServedModel model)
    {
        if (selection is null || (selection.Exclude is not { Count: > 0 } && selection.Include is not { Count: > 0 })) return null;
        var manifest = model.Assembly.Manifest;
        var experts = manifest.Layers.SelectMany(l => l.Attention.Concat(l.Mlp)).ToList();
        ManifestEntry Find(string item, string field) =>
            experts.FirstOrDefault(e => e.Module == item || e.VersionId.ToString() == item)
            ?? throw new RequestFieldException(field, $"'{item}' is not an expert of {model.Id} (give a module name such as layer0.attn.expert1 or a module version id)");
        var excluded = (selection.Exclude ?? []).Select(i => Find(i, "modules.exclude")).ToHashSet();
        var included = (selection.Include ?? []).Select(i => Find(i, "modules.include")).ToHashSet();

        var masks = new List<LayerExpertSelection>();
        var layers = new List<LayerModules>();
        for (int layer = 0; layer < manifest.Layers.Count; layer++)
        {
            var attention = Keep(manifest.Layers[layer].Attention, included, excluded, model.Config.AttentionTopK, layer, "attention");
            var mlp = Keep(manifest.Layers[layer].Mlp, included, excluded, model.Config.MlpTopK, layer, "mlp");
            masks.Add(new LayerExpertSelection(attention, mlp));
            layers.Add(new LayerModules(layer, Names(manifest.Layers[layer].Attention, attention), Names(manifest.Layers[layer].Mlp, mlp)));
        }
        return (masks, new ModulesUsed(excluded.Select(e => e.Module).ToList(), layers));
    }

    /// <summary>Include lists restrict only the layer and kind they name; exclusions apply everywhere.</summary>
    static bool[] Keep(IReadOnlyList<ManifestEntry> entries, HashSet<ManifestEntry> included, HashSet<ManifestEntry> excluded, int k, int layer, string kind)
    {
        bool restricts = entries.Any(included.Contains);
        var keep = entries.Select(e => (!restricts || included.Contains(e)) && !excluded.Contains(e)).ToArray();
        int kept = keep.Count(x => x);
        if (kept < k)
            throw new RequestFieldException("modules", $"layer {layer} would keep {kept} {kind} experts, fewer than k = {k}");
        return keep;
    }

    static List<string> Names(IReadOnlyList<ManifestEntry> entries, bool[] keep) =>
        entries.Where((_, i) => keep[i]).Select(e => e.Module).ToList();
}

/// <summary>A request field that is wrong: answered as a 400 validation problem naming the field.</summary>
public sealed class RequestFieldException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
