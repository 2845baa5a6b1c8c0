namespace ModuleService.Inference.Telemetry;

public enum ExpertKind { Attention, Mlp }

/// <summary>One expert's usage: selections (token-slots routed to it) and the sum of their gates.</summary>
public sealed record ExpertUsageEntry(string ModelKey, int Layer, ExpertKind Kind, int Expert, long Selections, double GateSum)
{
    public double MeanGate => Selections == 0 ? 0 : GateSum / Selections;
}

/// <summary>
/// Per model key (assembly hash), layer, kind and expert: how often served traffic selected the expert and its
/// mean gate, from the routing of every prefill and decode forward (padding excluded). Two views: cumulative
/// totals for /metrics counters (which must never go down) and a drainable delta the host flushes periodically
/// for pruning jobs. Thread-safe.
/// </summary>
public sealed class ExpertUsage
{
    private readonly object gate = new();
    private readonly Dictionary<string, RoutingTally> totals = [];
    private readonly Dictionary<string, RoutingTally> pending = [];

    public void Record(string modelKey, RoutingTally tally)
    {
        lock (gate)
        {
            Add(totals, modelKey, tally);
            Add(pending, modelKey, tally);
        }
    }

    /// <summary>Totals since start, every expert of every recorded model (zero-selection experts included:
    /// "never used" is what pruning looks for).</summary>
    public IReadOnlyList<ExpertUsageEntry> Snapshot()
    {
        lock (gate) return Entries(totals);
    }

    /// <summary>Usage since the previous drain; resets it. Totals are unaffected.</summary>
    public IReadOnlyList<ExpertUsageEntry> Drain()
    {
        lock (gate)
        {
            var entries = Entries(pending);
            pending.Clear();
            return entries;
        }
    }

    private static void Add(Dictionary<string, RoutingTally> tables, string key, RoutingTally tally)
    {
        if (!tables.TryGetValue(key, out var table))
        {
            tables[key] = tally with { Counts = (long[])tally.Counts.Clone(), GateSums = (double[])tally.GateSums.Clone() };
            return;
        }
        if (table.Layers != tally.Layers || table.AttentionExperts != tally.AttentionExperts || table.MlpExperts != tally.MlpExperts)
            throw new ArgumentException($"model {key}: routing shape changed ({tally.Layers}×{tally.AttentionExperts}/{tally.MlpExperts}, was {table.Layers}×{table.AttentionExperts}/{table.MlpExperts})");
        for (int i = 0; i < table.Counts.Length; i++)
        {
            table.Counts[i] += tally.Counts[i];
            table.GateSums[i] += tally.GateSums[i];
        }
    }

    private static List<ExpertUsageEntry> Entries(Dictionary<string, RoutingTally> tables)
    {
        var entries = new List<ExpertUsageEntry>();
        foreach (var (key, t) in tables.OrderBy(p => p.Key, StringComparer.Ordinal))
            foreach (var kind in new[] { ExpertKind.Attention, ExpertKind.Mlp })
                for (int layer = 0; layer < t.Layers; layer++)
                    for (int e = 0; e < (kind == ExpertKind.Attention ? t.AttentionExperts : t.MlpExperts); e++)
                    {
                        int i = t.IndexOf(kind, layer, e);
                        entries.Add(new ExpertUsageEntry(key, layer, kind, e, t.Counts[i], t.GateSums[i]));
                    }
        return entries;
    }
}
