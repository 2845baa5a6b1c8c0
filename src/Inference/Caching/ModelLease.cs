using ModuleService.Model.Architecture;

namespace ModuleService.Inference.Caching;

/// <summary>A hold on a cached model: while any lease is open the model is not disposed, even if evicted.</summary>
public sealed class ModelLease : IDisposable
{
    private readonly ModelCache cache;
    private readonly CacheEntry entry;
    private int released;

    internal ModelLease(ModelCache cache, CacheEntry entry)
    {
        this.cache = cache;
        this.entry = entry;
        Model = entry.Model!;
    }

    public string Key => entry.Key;
    public ModuleFormerForCausalLM Model { get; }

    /// <summary>Cancelled when the model is evicted: holders should finish their work and release the lease.</summary>
    public CancellationToken Evicted => entry.EvictedToken;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) cache.Release(entry);
    }
}
