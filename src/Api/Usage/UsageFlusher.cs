using ModuleService.Inference.Telemetry;
using ModuleService.Model.Surgery;
using ModuleService.Registry;
using ModuleService.Registry.Usage;

namespace ModuleService.Api.Usage;

/// <summary>What one flush did, per engine model key (the manifest hash).</summary>
/// <param name="Dropped">Model keys whose counts the registry refused (no assembly has the hash, or the counts do not
/// fit its manifest); retrying cannot help, so the counts were dropped.</param>
/// <param name="Failed">Model keys whose write failed; their counts are kept for the next flush.</param>
public sealed record UsageFlushResult(DateTimeOffset At, IReadOnlyList<UsageRecorded> Recorded, IReadOnlyList<string> Dropped,
    IReadOnlyList<string> Failed);

/// <summary>
/// Moves the engine's usage counts (<see cref="ExpertUsage.Drain"/>) into the registry, one window per flush. One
/// flush at a time, so the timer and <c>POST /v1/usage/flush</c> never split a window. Counts whose write fails are
/// merged into the next window instead of lost (memory stays bounded: one slot per model, layer, kind and expert).
/// </summary>
public sealed class UsageFlusher(ExpertUsage usage, IServiceScopeFactory scopes, TimeProvider time, ILogger<UsageFlusher> logger)
{
    // Several nodes may serve the same assembly; rows say which one counted them.
    static readonly string Node = Environment.MachineName;

    readonly SemaphoreSlim gate = new(1, 1);
    readonly Dictionary<string, PendingWindow> pending = new(StringComparer.Ordinal);
    // The engine counts from process start; the flusher is created then (by the hosted service).
    DateTimeOffset windowStart = time.GetUtcNow();

    public async Task<UsageFlushResult> FlushAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            // Zero rows are implied by the manifest, so they are not kept or written.
            foreach (var entry in usage.Drain().Where(e => e.Selections > 0))
            {
                if (!pending.TryGetValue(entry.ModelKey, out var window)) pending[entry.ModelKey] = window = new(windowStart);
                window.Add(entry);
            }
            windowStart = now;
            return await WriteAsync(now, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    async Task<UsageFlushResult> WriteAsync(DateTimeOffset now, CancellationToken ct)
    {
        List<UsageRecorded> recorded = [];
        List<string> dropped = [], failed = [];
        foreach (var (modelKey, window) in pending.ToList())
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<ExpertUsageStore>();
                recorded.Add(await store.RecordAsync(modelKey, window.Counts(), window.Start, now, Node, ct));
                pending.Remove(modelKey);
            }
            catch (RegistryException e) when (e is NotFoundException or InvalidModuleOperationException)
            {
                logger.LogWarning("Dropped expert usage of model {ModelKey}: {Reason}", modelKey, e.Message);
                pending.Remove(modelKey);
                dropped.Add(modelKey);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogError(e, "Writing expert usage of model {ModelKey} failed; retrying with the next flush", modelKey);
                failed.Add(modelKey);
            }
        }
        return new UsageFlushResult(now, recorded, dropped, failed);
    }

    /// <summary>Counts of one model key not yet written, since <see cref="Start"/>.</summary>
    sealed class PendingWindow(DateTimeOffset start)
    {
        readonly Dictionary<(int Layer, ModuleKind Kind, int Expert), (long Selections, double GateSum)> counts = [];

        public DateTimeOffset Start { get; } = start;

        public void Add(ExpertUsageEntry entry)
        {
            var key = (entry.Layer, entry.Kind == ExpertKind.Attention ? ModuleKind.AttentionExpert : ModuleKind.MlpExpert, entry.Expert);
            var (selections, gateSum) = counts.GetValueOrDefault(key);
            counts[key] = (selections + entry.Selections, gateSum + entry.GateSum);
        }

        public IEnumerable<ExpertCount> Counts() =>
            counts.Select(c => new ExpertCount(c.Key.Layer, c.Key.Kind, c.Key.Expert, c.Value.Selections, c.Value.GateSum));
    }
}
