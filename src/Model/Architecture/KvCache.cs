using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// One layer's keys and values after projection, before the head split: (B, C, A) each. When keys and values
/// are the same tensor (identity K/V, as in MoLM) it is stored once. Tensors live outside dispose scopes and
/// are freed when replaced or when the cache is disposed.
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    public Tensor? Keys { get; private set; }
    public Tensor? Values { get; private set; }

    public long Length => Keys?.shape[1] ?? 0;

    /// <returns>All keys and values, history first: (B, C, A).</returns>
    public (Tensor Keys, Tensor Values) Append(Tensor newKeys, Tensor newValues)
    {
        bool shared = ReferenceEquals(newKeys, newValues);
        var keys = Keys is null ? newKeys.detach() : cat([Keys, newKeys.detach()], 1);
        var values = shared ? keys : Values is null ? newValues.detach() : cat([Values, newValues.detach()], 1);
        Replace(keys, values);
        return (keys, values);
    }

    /// <summary>Keeps the given batch rows, in the given order (beam reordering, finished rows leaving).</summary>
    public void SelectRows(Tensor rows)
    {
        if (Keys is null) return;
        bool shared = ReferenceEquals(Keys, Values);
        var keys = Keys.index_select(0, rows);
        Replace(keys, shared ? keys : Values!.index_select(0, rows));
    }

    private void Replace(Tensor keys, Tensor values)
    {
        var (oldKeys, oldValues) = (Keys, Values);
        Keys = keys.DetachFromDisposeScope();
        Values = ReferenceEquals(keys, values) ? Keys : values.DetachFromDisposeScope();
        if (oldKeys is not null && !ReferenceEquals(oldKeys, Keys)) oldKeys.Dispose();
        if (oldValues is not null && !ReferenceEquals(oldValues, oldKeys) && !ReferenceEquals(oldValues, Values)) oldValues.Dispose();
    }

    public void Dispose()
    {
        if (Values is not null && !ReferenceEquals(Values, Keys)) Values.Dispose();
        Keys?.Dispose();
        Keys = Values = null;
    }
}

/// <summary>The KV cache of a whole model: one <see cref="LayerKvCache"/> per block.</summary>
public sealed class KvCache(int layers) : IDisposable
{
    private readonly LayerKvCache[] layers = Enumerable.Range(0, layers).Select(_ => new LayerKvCache()).ToArray();

    public LayerKvCache this[int layer] => layers[layer];
    /// <summary>Tokens already cached (C − T for the next call).</summary>
    public long Length => layers[0].Length;

    public void SelectRows(Tensor rows)
    {
        foreach (var layer in layers) layer.SelectRows(rows);
    }

    public void Dispose()
    {
        foreach (var layer in layers) layer.Dispose();
    }
}
