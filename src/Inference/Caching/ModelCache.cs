using ModuleService.Model.Architecture;

namespace ModuleService.Inference.Caching;

/// <summary>
/// Assembled models by key (manifest hash), LRU-evicted to stay within a byte budget. Each key is built once
/// even when many requests ask at the same time; a failed build is forgotten so the next request retries.
/// An evicted model leaves the cache at once but is disposed only after its last lease is released.
/// </summary>
public sealed class ModelCache(long budgetBytes) : IDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<string, CacheEntry> entries = [];
    private readonly LinkedList<CacheEntry> recency = [];           // most recently used first
    // Builds outlive the request that started them (others may be waiting); only disposal stops them.
    private readonly CancellationTokenSource lifetime = new();
    private long usedBytes;

    public long BudgetBytes { get; } = budgetBytes > 0 ? budgetBytes : throw new ArgumentOutOfRangeException(nameof(budgetBytes));

    /// <summary>Bytes of the models currently cached (evicted models still leased are not counted).</summary>
    public long UsedBytes { get { lock (gate) return usedBytes; } }

    /// <summary>Keys of the loaded models, most recently used first.</summary>
    public IReadOnlyList<string> LoadedKeys { get { lock (gate) return recency.Select(e => e.Key).ToList(); } }

    /// <summary>Returns a lease on the model for <paramref name="key"/>, building it on first use.</summary>
    /// <param name="cancellation">stops this caller's wait, not a build other callers may share.</param>
    public async Task<ModelLease> GetAsync(string key, Func<CancellationToken, Task<ModuleFormerForCausalLM>> build,
        CancellationToken cancellation = default)
    {
        while (true)
        {
            CacheEntry entry;
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(lifetime.IsCancellationRequested, this);
                if (!entries.TryGetValue(key, out entry!))
                {
                    entry = new CacheEntry(key);
                    entries[key] = entry;
                    entry.Ready = BuildAsync(entry, build);
                }
            }
            await entry.Ready.WaitAsync(cancellation).ConfigureAwait(false);
            lock (gate)
            {
                // Evicted between the build and now (a burst of other models): go round and rebuild.
                if (entry.Evicted) continue;
                entry.Leases++;
                recency.Remove(entry.Node);
                recency.AddFirst(entry.Node);
                return new ModelLease(this, entry);
            }
        }
    }

    /// <summary>Σ parameter numel × element size: what the weights occupy (buffers and caches not counted).</summary>
    public static long SizeOf(ModuleFormerForCausalLM model) =>
        model.parameters().Sum(p => p.numel() * p.ElementSize);

    private async Task BuildAsync(CacheEntry entry, Func<CancellationToken, Task<ModuleFormerForCausalLM>> build)
    {
        await Task.Yield();                                    // never run the build under the caller's lock
        ModuleFormerForCausalLM model;
        try { model = await build(lifetime.Token).ConfigureAwait(false); }
        catch
        {
            lock (gate) if (entries.TryGetValue(entry.Key, out var current) && current == entry) entries.Remove(entry.Key);
            throw;
        }
        List<CacheEntry> evicted;
        lock (gate)
        {
            if (lifetime.IsCancellationRequested)
            {
                // The cache was disposed while this build ran: nobody will ever release the model.
                entries.Remove(entry.Key);
                model.Dispose();
                throw new ObjectDisposedException(nameof(ModelCache));
            }
            entry.Model = model;
            entry.Bytes = SizeOf(model);
            usedBytes += entry.Bytes;
            recency.AddFirst(entry.Node);
            evicted = EvictOverBudget(keep: entry);
        }
        foreach (var e in evicted) e.Retire();
    }

    /// <summary>Drops least recently used models until the budget holds; a model bigger than the whole budget
    /// stays alone rather than failing every request for it.</summary>
    private List<CacheEntry> EvictOverBudget(CacheEntry keep)
    {
        var evicted = new List<CacheEntry>();
        for (var node = recency.Last; node is not null && usedBytes > BudgetBytes;)
        {
            var previous = node.Previous;
            if (node.Value != keep) evicted.Add(Remove(node.Value));
            node = previous;
        }
        return evicted;
    }

    private CacheEntry Remove(CacheEntry entry)
    {
        entries.Remove(entry.Key);
        recency.Remove(entry.Node);
        usedBytes -= entry.Bytes;
        entry.Evicted = true;
        entry.UnleasedAtEviction = entry.Leases == 0;
        return entry;
    }

    internal void Release(CacheEntry entry)
    {
        bool dispose;
        lock (gate) dispose = --entry.Leases == 0 && entry.Evicted;
        if (dispose) entry.DisposeModel();
    }

    public void Dispose()
    {
        List<CacheEntry> all;
        lock (gate)
        {
            if (lifetime.IsCancellationRequested) return;
            lifetime.Cancel();
            all = recency.ToList().Select(Remove).ToList();
        }
        foreach (var e in all) e.Retire();
    }
}
