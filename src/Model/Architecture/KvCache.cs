using ModuleService.Model.Diagnostics;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// One layer's keys and values after projection, before the head split: (B, C, A) each. When keys and values
/// are the same tensor (identity K/V, as in MoLM) they are stored once. New columns are written into buffers with
/// spare capacity (doubled when full), so a decode step copies one token's keys, not the whole history.
/// Tensors live outside dispose scopes and are freed when replaced or when the cache is disposed.
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    private Tensor? keyBuffer;
    private Tensor? valueBuffer;

    /// <summary>(B, C, A) views of the first C columns of the buffers.</summary>
    public Tensor? Keys { get; private set; }
    public Tensor? Values { get; private set; }

    public long Length => Keys?.shape[1] ?? 0;

    /// <returns>All keys and values, history first: (B, C, A). Detached: no gradient flows into the cache.</returns>
    public (Tensor Keys, Tensor Values) Append(Tensor newKeys, Tensor newValues)
    {
        using var _ = ForwardProfiler.Scope("kv_cache");
        bool shared = ReferenceEquals(newKeys, newValues);
        if (keyBuffer is null)
        {
            // The first block is kept as it is (no copy); the next append moves it into a buffer with room.
            var keys = newKeys.detach();
            SetBuffers(keys, shared ? keys : newValues.detach(), newKeys.shape[1]);
            return (Keys!, Values!);
        }
        long length = Length, added = newKeys.shape[1];
        if (length + added > keyBuffer.shape[1]) Grow(length + added);
        using (var slot = keyBuffer.narrow(1, length, added)) slot.copy_(newKeys);
        if (!ReferenceEquals(valueBuffer, keyBuffer))
            using (var slot = valueBuffer!.narrow(1, length, added)) slot.copy_(newValues);
        SetViews(length + added);
        return (Keys!, Values!);
    }

    /// <summary>Keeps the given batch rows, in the given order (beam reordering, finished rows leaving).</summary>
    public void SelectRows(Tensor rows)
    {
        if (Keys is null) return;
        var keys = Keys.index_select(0, rows);
        SetBuffers(keys, ReferenceEquals(keyBuffer, valueBuffer) ? keys : Values!.index_select(0, rows), Length);
    }

    /// <summary>Moves the history into buffers of at least twice the needed columns (amortised O(1) per token).</summary>
    private void Grow(long needed)
    {
        long length = Length, capacity = Math.Max(needed, 2 * keyBuffer!.shape[1]);
        Tensor Larger(Tensor view)
        {
            var buffer = empty([view.shape[0], capacity, view.shape[2]], dtype: view.dtype, device: view.device);
            using var head = buffer.narrow(1, 0, length);
            head.copy_(view);
            return buffer;
        }
        var keys = Larger(Keys!);
        SetBuffers(keys, ReferenceEquals(keyBuffer, valueBuffer) ? keys : Larger(Values!), length);
    }

    private void SetBuffers(Tensor keys, Tensor values, long length)
    {
        var (oldKeys, oldValues) = (keyBuffer, valueBuffer);
        keyBuffer = keys.DetachFromDisposeScope();
        valueBuffer = ReferenceEquals(keys, values) ? keyBuffer : values.DetachFromDisposeScope();
        if (oldValues is not null && !ReferenceEquals(oldValues, oldKeys)) oldValues.Dispose();
        oldKeys?.Dispose();
        SetViews(length);
    }

    private void SetViews(long length)
    {
        DisposeViews();
        Keys = keyBuffer!.narrow(1, 0, length).DetachFromDisposeScope();
        Values = ReferenceEquals(valueBuffer, keyBuffer) ? Keys : valueBuffer!.narrow(1, 0, length).DetachFromDisposeScope();
    }

    private void DisposeViews()
    {
        if (Values is not null && !ReferenceEquals(Values, Keys)) Values.Dispose();
        Keys?.Dispose();
        Keys = Values = null;
    }

    public void Dispose()
    {
        DisposeViews();
        if (valueBuffer is not null && !ReferenceEquals(valueBuffer, keyBuffer)) valueBuffer.Dispose();
        keyBuffer?.Dispose();
        keyBuffer = valueBuffer = null;
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
