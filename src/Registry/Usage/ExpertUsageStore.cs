using Microsoft.EntityFrameworkCore;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Usage;

/// <summary>
/// Per-expert usage from served traffic: append-only rows per flush window (writes here) and their aggregation per
/// assembly (<see cref="GetAsync"/>, in ExpertUsageStore.Report.cs). Pruning jobs read the aggregation.
/// </summary>
public sealed partial class ExpertUsageStore(RegistryDbContext db, AssemblyService assemblies, AssemblyWriter writer)
{
    /// <summary>
    /// Records usage counted under an engine's model key, the manifest hash. Same manifest = same weights in the
    /// same order, so usage is a property of the manifest: the rows go to the most recent non-archived assembly with
    /// that hash (the most recent archived one if all are archived, since a loaded engine may outlive an archive),
    /// and <see cref="GetAsync"/> sums over every assembly sharing the hash, so the choice never changes a report.
    /// </summary>
    /// <exception cref="NotFoundException">No assembly has this manifest hash; nothing is written.</exception>
    public async Task<UsageRecorded> RecordAsync(string manifestHash, IEnumerable<ExpertCount> counts,
        DateTimeOffset windowStart, DateTimeOffset windowEnd, string node, CancellationToken ct)
    {
        var assemblyId = await writer.Rows.Where(r => r.Assembly.ManifestHash == manifestHash)
            .OrderBy(r => r.Stage == Stage.Archived).ThenByDescending(r => r.Assembly.CreatedAt)
            .Select(r => (Guid?)r.Assembly.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException("assembly with manifest hash", manifestHash);
        return await RecordAsync(assemblyId, counts, windowStart, windowEnd, node, ct);
    }

    /// <summary>
    /// Records one window's usage against <paramref name="assemblyId"/>: one row per expert with selections (the
    /// zeros are implied by the manifest), all in one transaction, so a window is stored whole or not at all.
    /// </summary>
    /// <exception cref="InvalidModuleOperationException">A count does not fit the manifest; nothing is written.</exception>
    public async Task<UsageRecorded> RecordAsync(Guid assemblyId, IEnumerable<ExpertCount> counts,
        DateTimeOffset windowStart, DateTimeOffset windowEnd, string node, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (windowEnd < windowStart) throw new ArgumentException($"window ends ({windowEnd:O}) before it starts ({windowStart:O})", nameof(windowEnd));
        if (string.IsNullOrWhiteSpace(node) || node.Length > 200) throw new ArgumentException("node must be 1-200 characters", nameof(node));
        var assembly = await db.Assemblies.AsNoTracking().Where(a => a.Id == assemblyId)
            .Select(a => new { a.Id, a.Name, a.Version, a.Manifest }).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("assembly", assemblyId.ToString());
        var manifest = Manifest.Parse(assembly.Manifest);

        // A key may repeat (e.g. a retried window merged with the next); rows are per expert and window.
        var rows = counts.GroupBy(c => (c.Layer, c.Kind, c.Expert))
            .Select(g => (Key: g.Key, Selections: g.Sum(c => c.Selections), GateSum: g.Sum(c => c.GateSum)))
            .Select(c => new ExpertUsageRecord
            {
                AssemblyId = assembly.Id, Layer = c.Key.Layer, Kind = c.Key.Kind, ExpertIndex = c.Key.Expert,
                ModuleVersionId = Slot(manifest, c.Key.Layer, c.Key.Kind, c.Key.Expert, c.Selections, c.GateSum).VersionId,
                Selections = c.Selections, GateSum = c.GateSum,
                // Npgsql writes timestamptz only from UTC offsets.
                WindowStart = windowStart.ToUniversalTime(), WindowEnd = windowEnd.ToUniversalTime(), Node = node,
            })
            .Where(r => r.Selections > 0)
            .ToList();
        db.ExpertUsage.AddRange(rows);
        await db.SaveChangesAsync(ct);   // one implicit transaction for the whole batch
        return new UsageRecorded(assembly.Id, assembly.Name, assembly.Version, rows.Count);
    }

    /// <summary>The manifest entry an engine count refers to, after checking the count is plausible.</summary>
    static ManifestEntry Slot(Manifest manifest, int layer, ModuleKind kind, int expert, long selections, double gateSum)
    {
        var name = $"layer{layer}.{(kind == ModuleKind.AttentionExpert ? "attn" : "mlp")}.expert{expert}";
        if (kind is not (ModuleKind.AttentionExpert or ModuleKind.MlpExpert))
            throw new InvalidModuleOperationException(name, $"usage is counted for attention and MLP experts, not {kind}");
        if (layer < 0 || layer >= manifest.Layers.Count)
            throw new InvalidModuleOperationException(name, $"the assembly has {manifest.Layers.Count} layers");
        var experts = kind == ModuleKind.AttentionExpert ? manifest.Layers[layer].Attention : manifest.Layers[layer].Mlp;
        if (expert < 0 || expert >= experts.Count)
            throw new InvalidModuleOperationException(name, $"the layer has {experts.Count} {(kind == ModuleKind.AttentionExpert ? "attention" : "MLP")} experts");
        // Gates are softmax probabilities, so 0 ≤ gate sum ≤ selections.
        if (selections < 0 || !double.IsFinite(gateSum) || gateSum < 0 || gateSum > selections * (1 + 1e-6))
            throw new InvalidModuleOperationException(name, $"implausible counts: {selections} selections, gate sum {gateSum}");
        return experts[expert];
    }
}
