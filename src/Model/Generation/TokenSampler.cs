using static TorchSharp.torch;

namespace ModuleService.Model.Generation;

/// <summary>Chooses one token per row from last-position logits, each row with its own options and seed.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly IReadOnlyList<SamplingOptions> options;
    private readonly Generator?[] generators;

    public TokenSampler(IReadOnlyList<SamplingOptions> perRow)
    {
        options = perRow;
        generators = perRow.Select(o => o.IsGreedy ? null : o.Seed is long seed ? new Generator((ulong)seed) : new Generator((ulong)Random.Shared.NextInt64())).ToArray();
    }

    /// <param name="logits">(R, V) float32 logits of the active rows.</param>
    /// <param name="rows">original row index of each of the R active rows.</param>
    /// <returns>(R,) chosen token ids.</returns>
    public long[] Choose(Tensor logits, IReadOnlyList<int> rows)
    {
        var chosen = new long[rows.Count];
        if (rows.All(r => options[r].IsGreedy))
            return logits.argmax(-1).data<long>().ToArray();
        for (int i = 0; i < rows.Count; i++)
        {
            var o = options[rows[i]];
            var rowLogits = logits[i];                                           // (V,)
            chosen[i] = o.IsGreedy ? rowLogits.argmax().item<long>() : Sample(rowLogits, o, generators[rows[i]]!);
        }
        return chosen;
    }

    private static long Sample(Tensor logits, SamplingOptions o, Generator generator)
    {
        var scaled = logits / o.Temperature;
        if (o.TopK > 0 && o.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(o.TopK).values[-1];
            scaled = scaled.masked_fill(scaled.lt(kth), double.NegativeInfinity);
        }
        if (o.TopP < 1)
        {
            var (sorted, order) = scaled.sort(descending: true);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            // Drop a token once the tokens before it already reach P; the most likely token always stays.
            var drop = (cumulative - sorted.softmax(-1)).ge(o.TopP);
            scaled = scaled.scatter(0, order, sorted.masked_fill(drop, double.NegativeInfinity));
        }
        return multinomial(scaled.softmax(-1), 1, generator: generator).item<long>();
    }

    public void Dispose()
    {
        foreach (var g in generators) g?.Dispose();
    }
}
