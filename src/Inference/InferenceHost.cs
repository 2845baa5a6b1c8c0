using ModuleService.Inference.Batching;
using ModuleService.Inference.Caching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;

namespace ModuleService.Inference;

/// <summary>
/// What the HTTP layer talks to: one <see cref="BatchEngine"/> per cached model key. An engine holds a lease on
/// its model; when the cache evicts the model the engine stops taking work, finishes its rows and releases the
/// lease (the model is then disposed), and the next request for that key builds a fresh model and engine.
/// </summary>
public sealed class InferenceHost(InferenceOptions options, EngineMetrics metrics, ExpertUsage usage) : IAsyncDisposable
{
    private readonly Dictionary<string, BatchEngine> engines = [];

    public InferenceOptions Options { get; } = options;
    public ModelCache Cache { get; } = new(options.ModelCacheBytes);
    public EngineMetrics Metrics { get; } = metrics;
    public ExpertUsage Usage { get; } = usage;

    /// <summary>Queues a job on the engine of <paramref name="modelKey"/>, building the model on first use.</summary>
    /// <param name="build">loads or assembles the model in <see cref="InferenceRuntime.ResolveDtype"/>; called at
    /// most once per key while the model stays cached.</param>
    /// <exception cref="CompletionValidationException">400</exception>
    /// <exception cref="QueueFullException">429 with Retry-After</exception>
    public async Task<CompletionHandle> SubmitAsync(string modelKey, Func<CancellationToken, Task<ModuleFormerForCausalLM>> build,
        CompletionJob job, CancellationToken cancellation = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            var engine = await GetEngineAsync(modelKey, build, cancellation).ConfigureAwait(false);
            try { return engine.Submit(job); }
            // Retired between lookup and submit (evicted just now): the next lookup makes a new engine.
            catch (InvalidOperationException) when (!engine.IsAccepting && attempt < 2) { }
        }
    }

    /// <summary>The running engine for a key (e.g. for queue depth), created if needed.</summary>
    public async Task<BatchEngine> GetEngineAsync(string modelKey, Func<CancellationToken, Task<ModuleFormerForCausalLM>> build,
        CancellationToken cancellation = default)
    {
        var lease = await Cache.GetAsync(modelKey, build, cancellation).ConfigureAwait(false);
        lock (engines)
        {
            if (engines.TryGetValue(modelKey, out var existing) && existing.IsAccepting && ReferenceEquals(existing.Model, lease.Model))
            {
                lease.Dispose();                     // the engine holds its own lease
                return existing;
            }
            var engine = new BatchEngine(modelKey, lease.Model, Options, Metrics, Usage);
            engines[modelKey] = engine;
            _ = engine.Completion.ContinueWith(_ => lease.Dispose(), TaskScheduler.Default);
            lease.Evicted.Register(() => Retire(modelKey, engine));
            return engine;
        }
    }

    private void Retire(string modelKey, BatchEngine engine)
    {
        lock (engines)
            if (engines.TryGetValue(modelKey, out var current) && current == engine) engines.Remove(modelKey);
        engine.CompleteAdding();
    }

    public async ValueTask DisposeAsync()
    {
        List<BatchEngine> all;
        lock (engines)
        {
            all = engines.Values.ToList();
            engines.Clear();
        }
        foreach (var engine in all) await engine.DisposeAsync().ConfigureAwait(false);
        Cache.Dispose();
    }
}
