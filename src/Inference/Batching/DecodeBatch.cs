using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>
/// The rows being decoded together: their requests, one left-padded KV cache and the per-row expert masks.
/// Runs on the engine thread only.
/// </summary>
internal sealed class DecodeBatch(ModuleFormerForCausalLM model, string modelKey, ExpertUsage? usage, EngineMetrics metrics) : IDisposable
{
    private List<Request> rows = [];
    private readonly BatchKvCache cache = BatchKvCache.Empty(model.Config.Layers);
    private RowExpertMasks? masks;                   // rebuilt lazily whenever the rows change

    public int Count => rows.Count;

    /// <summary>Adds prefilled requests (their cache rows in the same order) after the running rows.</summary>
    public void Add(IReadOnlyList<Request> incoming, BatchKvCache incomingCache)
    {
        cache.Merge(incomingCache);
        rows.AddRange(incoming);
        InvalidateMasks();
    }

    /// <summary>One token for every row: feed each row's last token, sample, retire finished rows.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        var input = tensor(rows.Select(r => r.NextInput).ToArray()).unsqueeze(1);           // (B, 1)
        var mask = cache.AttentionMask(newTokens: 1);                                        // null or (B, C + 1)
        masks ??= RowExpertMasks.Build(model.Config, rows);
        var (hidden, routing) = ModelCalls.Body(model, input, mask, cache.Cache, masks.Mask); // (B, 1, D)
        metrics.ForwardPass();
        usage?.Record(modelKey, RoutingTally.From(routing, null));
        var logits = model.Logits(hidden.select(1, -1));                        // (B, V)
        var tokens = TokenPicker.Pick(logits, rows);
        Keep(Enumerable.Range(0, rows.Count).Where(i => !rows[i].Accept(tokens[i])).ToList());
    }

    /// <summary>Ends and removes the rows matching <paramref name="leave"/> (e.g. cancelled by the client).</summary>
    public void RemoveWhere(Func<Request, bool> leave, Action<Request> end)
    {
        var keep = new List<int>();
        for (int i = 0; i < rows.Count; i++)
        {
            if (leave(rows[i])) end(rows[i]);
            else keep.Add(i);
        }
        Keep(keep);
    }

    /// <summary>After a failed forward the cache may be half-extended: end every row and start empty.</summary>
    public void FailAll(Exception error) => RemoveWhere(_ => true, r => r.Fail(error));

    private void Keep(List<int> keep)
    {
        if (keep.Count == rows.Count) return;
        using var scope = NewDisposeScope();
        cache.SelectRows(keep);
        rows = keep.Select(i => rows[i]).ToList();
        InvalidateMasks();
    }

    private void InvalidateMasks()
    {
        masks?.Dispose();
        masks = null;
    }

    public void Dispose()
    {
        InvalidateMasks();
        cache.Dispose();
    }
}
