using Microsoft.EntityFrameworkCore;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Modules;

namespace ModuleService.Registry.Usage;

public sealed partial class ExpertUsageStore
{
    /// <summary>
    /// Usage of <paramref name="target"/>'s experts per layer, summed over all assemblies with its manifest hash and
    /// all nodes, from windows ending after <paramref name="since"/> (a window straddling it counts whole: windows are
    /// one flush interval long). Experts never selected are listed with zeros: "never used" is what pruning looks for.
    /// </summary>
    public async Task<ExpertUsageReport> GetAsync(AssemblyRef target, DateTimeOffset? since, CancellationToken ct)
    {
        var detail = await assemblies.GetAsync(target, ct);
        var hash = detail.Summary.ManifestHash;
        var rows = from r in db.ExpertUsage
                   join a in db.Assemblies on r.AssemblyId equals a.Id
                   where a.ManifestHash == hash
                   select r;
        if (since is { } from) rows = rows.Where(r => r.WindowEnd > from.ToUniversalTime());

        var totals = (await rows.GroupBy(r => new { r.Layer, r.Kind, r.ExpertIndex })
                .Select(g => new { g.Key.Layer, g.Key.Kind, g.Key.ExpertIndex, Selections = g.Sum(r => r.Selections), GateSum = g.Sum(r => r.GateSum) })
                .ToListAsync(ct))
            .ToDictionary(t => (t.Layer, t.Kind, t.ExpertIndex), t => (t.Selections, t.GateSum));
        var window = await rows.GroupBy(_ => 1)
            .Select(g => new { Start = (DateTimeOffset?)g.Min(r => r.WindowStart), End = (DateTimeOffset?)g.Max(r => r.WindowEnd) })
            .SingleOrDefaultAsync(ct);

        var manifest = detail.Manifest;
        var layers = manifest.Layers.Select((layer, i) => new LayerUsage(i,
            Stats(layer.Attention, i, ModuleKind.AttentionExpert, totals),
            Stats(layer.Mlp, i, ModuleKind.MlpExpert, totals))).ToList();
        var configJson = await db.Families.Where(f => f.Id == detail.Summary.FamilyId).Select(f => f.ConfigJson).SingleAsync(ct);
        var mlpTopK = FamilyConfig.ToConfig(configJson).MlpTopK;
        var mlpSelections = layers.Sum(l => l.Mlp.Sum(e => e.Selections));
        var tokens = layers.Count == 0 ? 0 : (long)Math.Round(mlpSelections / (double)(mlpTopK * layers.Count));

        return new ExpertUsageReport(detail.Summary.Id, detail.Summary.Name, detail.Summary.Version, hash, since,
            window?.Start, window?.End, tokens, layers);
    }

    static List<ExpertUsageStat> Stats(IReadOnlyList<ManifestEntry> experts, int layer, ModuleKind kind,
        Dictionary<(int, ModuleKind, int), (long Selections, double GateSum)> totals)
    {
        var counts = experts.Select((_, e) => totals.GetValueOrDefault((layer, kind, e))).ToList();
        var layerTotal = counts.Sum(c => c.Selections);
        return experts.Select((entry, e) => new ExpertUsageStat(e, entry.Module, entry.VersionId, entry.Version,
            counts[e].Selections,
            counts[e].Selections == 0 ? 0 : counts[e].GateSum / counts[e].Selections,
            layerTotal == 0 ? 0 : counts[e].Selections / (double)layerTotal)).ToList();
    }
}
