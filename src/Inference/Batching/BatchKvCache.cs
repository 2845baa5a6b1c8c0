using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>
/// The KV cache of a running batch whose rows started at different times. Rows are aligned on the right (the
/// newest token is the last column for every row) and LEFT-padded: stick-breaking attention gives a padded key
/// no weight and no share of the stick, so padding changes nothing and no position ids are needed
/// (moduleformer-spec §3.3). Padding is tracked on the host as a leading-column count per row, which is all the
/// attention mask needs. Tensors live in <see cref="Cache"/>, outside dispose scopes (LayerKvCache detaches them).
/// </summary>
internal sealed class BatchKvCache : IDisposable
{
    private readonly int layers;
    private List<long> padding;

    public BatchKvCache(KvCache cache, int layers, IEnumerable<long> padding)
    {
        Cache = cache;
        this.layers = layers;
        this.padding = padding.ToList();
    }

    public static BatchKvCache Empty(int layers) => new(new KvCache(layers), layers, []);

    /// <summary>What the model reads and extends; replaced (old one disposed) by merges and trims.</summary>
    public KvCache Cache { get; private set; }
    public int Rows => padding.Count;
    public long Length => Cache.Length;
    public IReadOnlyList<long> Padding => padding;

    /// <summary>(B, C + <paramref name="newTokens"/>) with 0 on each row's leading padding; null when no row is
    /// padded (the model then skips the mask, as a solo request would).</summary>
    public Tensor? AttentionMask(long newTokens)
    {
        if (padding.All(p => p == 0)) return null;
        var positions = arange(Length + newTokens, dtype: ScalarType.Int64).unsqueeze(0);   // (1, C')
        var starts = tensor(padding.ToArray()).unsqueeze(1);                               // (B, 1)
        return positions.ge(starts).to(ScalarType.Int64);                                  // (B, C')
    }

    /// <summary>Appends <paramref name="other"/>'s rows after this cache's rows (and disposes it): the shorter
    /// side is left-padded with zero columns so both share one length.</summary>
    public void Merge(BatchKvCache other)
    {
        if (other.Rows == 0) { other.Dispose(); return; }
        if (Rows == 0) { (Cache, padding, other.Cache) = (other.Cache, other.padding, Cache); other.Dispose(); return; }

        long length = Math.Max(Length, other.Length);
        long mine = length - Length, theirs = length - other.Length;
        var merged = new KvCache(layers);
        for (int layer = 0; layer < layers; layer++)
        {
            var (a, b) = (Cache[layer], other.Cache[layer]);
            var keys = cat([LeftPad(a.Keys!, mine), LeftPad(b.Keys!, theirs)], 0);      // (B + B', C, A)
            bool shared = ReferenceEquals(a.Keys, a.Values);
            var values = shared ? keys : cat([LeftPad(a.Values!, mine), LeftPad(b.Values!, theirs)], 0);
            merged[layer].Append(keys, values);    // into an empty layer: stores (detached) without copying
        }
        padding = padding.Select(p => p + mine).Concat(other.padding.Select(p => p + theirs)).ToList();
        Replace(merged);
        other.Dispose();
    }

    /// <summary>Keeps the given rows in order, then drops leading columns that are padding for every kept row,
    /// so a long request leaving does not make the others keep attending over its history's width.</summary>
    public void SelectRows(IReadOnlyList<int> keep)
    {
        if (keep.Count == Rows && keep.Select((row, i) => row == i).All(x => x)) { Trim(); return; }
        padding = keep.Select(i => padding[i]).ToList();
        if (keep.Count == 0) { Replace(new KvCache(layers)); return; }
        var rows = tensor(keep.Select(i => (long)i).ToArray());
        long drop = padding.Min();
        padding = padding.Select(p => p - drop).ToList();
        Rebuild(t => t.index_select(0, rows).narrow(1, drop, t.shape[1] - drop));          // (B', C − drop, A)
    }

    private void Trim()
    {
        long drop = padding.Count == 0 ? 0 : padding.Min();
        if (drop == 0) return;
        padding = padding.Select(p => p - drop).ToList();
        Rebuild(t => t.narrow(1, drop, t.shape[1] - drop));
    }

    private void Rebuild(Func<Tensor, Tensor> transform)
    {
        var rebuilt = new KvCache(layers);
        for (int layer = 0; layer < layers; layer++)
        {
            var old = Cache[layer];
            if (old.Keys is null) continue;
            var keys = transform(old.Keys);
            rebuilt[layer].Append(keys, ReferenceEquals(old.Keys, old.Values) ? keys : transform(old.Values!));
        }
        Replace(rebuilt);
    }

    private void Replace(KvCache next)
    {
        Cache.Dispose();
        Cache = next;
    }

    /// <param name="t">(B, C, A)</param>
    /// <returns>(B, C + n, A) with n zero columns in front.</returns>
    private static Tensor LeftPad(Tensor t, long n) =>
        n == 0 ? t : cat([zeros(t.shape[0], n, t.shape[2], dtype: t.dtype, device: t.device), t], 1);

    public void Dispose() => Cache.Dispose();
}
