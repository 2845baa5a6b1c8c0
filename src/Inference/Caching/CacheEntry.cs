using ModuleService.Model.Architecture;

namespace ModuleService.Inference.Caching;

/// <summary>One key's slot in <see cref="ModelCache"/>; mutable fields are guarded by the cache's lock.</summary>
internal sealed class CacheEntry
{
    private readonly CancellationTokenSource evicted = new();

    public CacheEntry(string key)
    {
        Key = key;
        Node = new LinkedListNode<CacheEntry>(this);
    }

    public string Key { get; }
    public LinkedListNode<CacheEntry> Node { get; }
    public Task Ready { get; set; } = Task.CompletedTask;
    public ModuleFormerForCausalLM? Model { get; set; }
    public long Bytes { get; set; }
    public int Leases { get; set; }
    public bool Evicted { get; set; }
    /// <summary>Set at eviction: nobody held a lease, so <see cref="Retire"/> disposes; otherwise the last
    /// release does (no lease can be taken after eviction, so exactly one of the two sees zero).</summary>
    public bool UnleasedAtEviction { get; set; }

    /// <summary>Fires when the entry leaves the cache, so long-lived holders (engines) can drain and let go.</summary>
    public CancellationToken EvictedToken => evicted.Token;

    /// <summary>Called once, outside the lock, after the entry was removed: notify holders, dispose if unleased.</summary>
    public void Retire()
    {
        evicted.Cancel();
        if (UnleasedAtEviction) DisposeModel();
    }

    public void DisposeModel()
    {
        lock (this)
        {
            Model?.Dispose();
            Model = null;
        }
    }
}
