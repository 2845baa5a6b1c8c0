using ModuleService.Model.Surgery;

namespace ModuleService.Registry.Assemblies;

public sealed partial class AssemblyService
{
    /// <summary>
    /// What changed from <paramref name="from"/> to <paramref name="to"/>, per group (embedding, head,
    /// <c>layerN.shared</c>, <c>layerN.attn</c>, <c>layerN.mlp</c>): module versions added, removed, or swapped for
    /// another version of the same module. Groups without changes are left out.
    /// </summary>
    public async Task<AssemblyDiff> DiffAsync(AssemblyRef from, AssemblyRef to, CancellationToken ct)
    {
        var a = await ResolveAsync(from, ct);
        var b = await ResolveAsync(to, ct);
        var left = Groups(Manifest.Parse(a.Assembly.Manifest));
        var right = Groups(Manifest.Parse(b.Assembly.Manifest));
        var groups = left.Keys.Union(right.Keys)
            .Select(name => DiffGroup(name, left.GetValueOrDefault(name) ?? [], right.GetValueOrDefault(name) ?? []))
            .Where(g => g.Added.Count + g.Removed.Count + g.Changed.Count > 0 || g.OrderChanged)
            .ToList();
        return new AssemblyDiff(Summary(a), Summary(b), a.Assembly.FamilyId == b.Assembly.FamilyId,
            a.Assembly.ManifestHash == b.Assembly.ManifestHash, groups);
    }

    /// <summary>Group name → entries in order; dictionary order follows the model (embedding, layers, head).</summary>
    static Dictionary<string, List<ManifestEntry>> Groups(Manifest manifest)
    {
        var groups = new Dictionary<string, List<ManifestEntry>>();
        foreach (var slot in manifest.Slots())
        {
            var name = slot.Kind switch
            {
                ModuleKind.AttentionExpert or ModuleKind.MlpExpert => ModuleLayout.GroupName(slot.Kind, slot.Layer!.Value),
                _ => ModuleLayout.PartName(slot.Kind, slot.Layer),
            };
            if (!groups.TryGetValue(name, out var list)) groups[name] = list = [];
            list.Add(slot.Entry);
        }
        return groups;
    }

    static GroupDiff DiffGroup(string name, List<ManifestEntry> from, List<ManifestEntry> to)
    {
        var fromIds = from.Select(e => e.VersionId).ToHashSet();
        var toIds = to.Select(e => e.VersionId).ToHashSet();
        var removed = from.Where(e => !toIds.Contains(e.VersionId)).ToList();
        var added = to.Where(e => !fromIds.Contains(e.VersionId)).ToList();
        // A removed and an added version of the same module is a change of version, not two unrelated edits.
        var changed = new List<ModuleChange>();
        foreach (var old in removed.ToList())
        {
            var replacement = added.FirstOrDefault(e => e.Module == old.Module);
            if (replacement is null) continue;
            changed.Add(new ModuleChange(old.Module, old.Version, replacement.Version, old.Sha256, replacement.Sha256));
            removed.Remove(old);
            added.Remove(replacement);
        }
        var keptOrderFrom = from.Where(e => toIds.Contains(e.VersionId)).Select(e => e.VersionId);
        var keptOrderTo = to.Where(e => fromIds.Contains(e.VersionId)).Select(e => e.VersionId);
        return new GroupDiff(name,
            added.Select(e => new ModuleChange(e.Module, null, e.Version, null, e.Sha256)).ToList(),
            removed.Select(e => new ModuleChange(e.Module, e.Version, null, e.Sha256, null)).ToList(),
            changed, !keptOrderFrom.SequenceEqual(keptOrderTo));
    }
}
