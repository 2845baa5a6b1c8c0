using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// Which experts a forward may use. Per layer and kind: null (all), (E,) booleans for the whole batch, or
/// (B, E) for one mask per batch row. A removed expert leaves the router's softmax, so the remaining experts'
/// probabilities are renormalised among themselves (the model then behaves as if pruned).
/// </summary>
public sealed class ExpertMask
{
    private readonly LayerExpertMask[] layers;

    public ExpertMask(int layers) => this.layers = Enumerable.Range(0, layers).Select(_ => new LayerExpertMask()).ToArray();

    public LayerExpertMask this[int layer] => layers[layer];
    public int Layers => layers.Length;

    /// <summary>A mask that keeps only the listed experts in every layer; null lists keep all of that kind.</summary>
    public static ExpertMask Keep(ModuleFormerConfig config, IReadOnlyList<IReadOnlyList<int>>? attention, IReadOnlyList<IReadOnlyList<int>>? mlp)
    {
        var mask = new ExpertMask(config.Layers);
        for (int layer = 0; layer < config.Layers; layer++)
        {
            if (attention is not null) mask[layer].Attention = KeepOnly(attention[layer], config.AttentionExperts, config.AttentionTopK, layer, "attention");
            if (mlp is not null) mask[layer].Mlp = KeepOnly(mlp[layer], config.MlpExperts, config.MlpTopK, layer, "mlp");
        }
        return mask;
    }

    /// <summary>The same mask for a batch that kept only <paramref name="rows"/> (per-row masks follow their rows).</summary>
    public ExpertMask SelectRows(Tensor rows)
    {
        var selected = new ExpertMask(layers.Length);
        for (int layer = 0; layer < layers.Length; layer++)
        {
            selected[layer].Attention = Select(layers[layer].Attention, rows);
            selected[layer].Mlp = Select(layers[layer].Mlp, rows);
        }
        return selected;
    }

    private static Tensor? Select(Tensor? mask, Tensor rows) => mask is null || mask.dim() == 1 ? mask : mask.index_select(0, rows);

    private static Tensor KeepOnly(IReadOnlyList<int> keep, int experts, int topK, int layer, string kind)
    {
        var flags = new bool[experts];
        foreach (var e in keep)
        {
            if (e < 0 || e >= experts) throw new ArgumentException($"layer {layer} {kind}: expert {e} does not exist (0..{experts - 1})");
            flags[e] = true;
        }
        int kept = flags.Count(f => f);
        if (kept < topK) throw new ArgumentException($"layer {layer} {kind}: {kept} experts kept, fewer than k = {topK}");
        return tensor(flags).DetachFromDisposeScope();
    }
}

/// <summary>The masks of one layer; see <see cref="ExpertMask"/>.</summary>
public sealed class LayerExpertMask
{
    public Tensor? Attention { get; set; }
    public Tensor? Mlp { get; set; }
}
