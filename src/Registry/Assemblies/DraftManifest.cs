using ModuleService.Model.Surgery;

namespace ModuleService.Registry.Assemblies;

/// <summary>
/// A manifest being edited by a composition. Singletons may be missing here; validation then reports the missing
/// slot by name instead of this class guessing what the caller meant.
/// </summary>
internal sealed class DraftManifest
{
    ManifestEntry? embedding, head;
    readonly List<(ManifestEntry? Shared, List<ManifestEntry> Attention, List<ManifestEntry> Mlp)> layers;

    public DraftManifest(Manifest source)
    {
        embedding = source.Embedding;
        head = source.Head;
        layers = source.Layers.Select(l => ((ManifestEntry?)l.Shared, l.Attention.ToList(), l.Mlp.ToList())).ToList();
    }

    /// <summary>Removes every occurrence of the version; false if it was not there.</summary>
    public bool Remove(Guid versionId)
    {
        var removed = false;
        if (embedding?.VersionId == versionId) (embedding, removed) = (null, true);
        if (head?.VersionId == versionId) (head, removed) = (null, true);
        for (var i = 0; i < layers.Count; i++)
        {
            var (shared, attention, mlp) = layers[i];
            if (shared?.VersionId == versionId) (layers[i], removed) = ((null, attention, mlp), true);
            removed |= attention.RemoveAll(e => e.VersionId == versionId) > 0;
            removed |= mlp.RemoveAll(e => e.VersionId == versionId) > 0;
        }
        return removed;
    }

    /// <summary>Experts are inserted (default: appended); singletons replace the entry in their slot.</summary>
    public void Add(ManifestEntry entry, ModuleKind kind, int? layer, int? position, string label)
    {
        if (kind == ModuleKind.Embedding) { embedding = entry; return; }
        if (kind == ModuleKind.Head) { head = entry; return; }
        if (layer is not { } index || index < 0 || index >= layers.Count)
            throw new InvalidModuleOperationException(label, $"target layer {layer?.ToString() ?? "(none)"} is outside the assembly's 0..{layers.Count - 1}");
        if (kind == ModuleKind.LayerShared)
        {
            layers[index] = (entry, layers[index].Attention, layers[index].Mlp);
            return;
        }
        var list = kind == ModuleKind.AttentionExpert ? layers[index].Attention : layers[index].Mlp;
        var at = position ?? list.Count;
        if (at < 0 || at > list.Count)
            throw new InvalidModuleOperationException(label, $"position {at} is outside 0..{list.Count} of {ModuleLayout.GroupName(kind, index)}");
        list.Insert(at, entry);
    }

    /// <summary>Present entries with their slots, in model order.</summary>
    public IEnumerable<ManifestSlot> Slots()
    {
        if (embedding is not null) yield return new(embedding, ModuleKind.Embedding, null, null);
        for (var layer = 0; layer < layers.Count; layer++)
        {
            var (shared, attention, mlp) = layers[layer];
            if (shared is not null) yield return new(shared, ModuleKind.LayerShared, layer, null);
            for (var i = 0; i < attention.Count; i++) yield return new(attention[i], ModuleKind.AttentionExpert, layer, i);
            for (var i = 0; i < mlp.Count; i++) yield return new(mlp[i], ModuleKind.MlpExpert, layer, i);
        }
        if (head is not null) yield return new(head, ModuleKind.Head, null, null);
    }

    /// <summary>The finished manifest; only called after validation, which guarantees every singleton is present.</summary>
    public Manifest Build(string familyHash) => new(familyHash,
        embedding ?? throw new InvalidOperationException("embedding missing after validation"),
        head ?? throw new InvalidOperationException("head missing after validation"),
        layers.Select(l => new ManifestLayer(l.Shared ?? throw new InvalidOperationException("shared part missing after validation"),
            l.Attention, l.Mlp)).ToList());
}
