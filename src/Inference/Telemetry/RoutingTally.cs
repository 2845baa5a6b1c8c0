using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Inference.Telemetry;

/// <summary>
/// How often each expert was selected in one forward, and the sum of its gates. Flat layout: attention experts
/// at [layer · Ea + e], then MLP experts at [Layers · Ea + layer · Em + e].
/// </summary>
public sealed record RoutingTally(int Layers, int AttentionExperts, int MlpExperts, long[] Counts, double[] GateSums)
{
    public int IndexOf(ExpertKind kind, int layer, int expert) => kind == ExpertKind.Attention
        ? layer * AttentionExperts + expert
        : Layers * AttentionExperts + layer * MlpExperts + expert;

    /// <param name="routing">a forward's routing, N = B·T tokens per router call.</param>
    /// <param name="realTokens">null, or (N,) booleans: false for padding positions, which are not counted.</param>
    public static RoutingTally From(IReadOnlyList<LayerRouting> routing, Tensor? realTokens)
    {
        using var scope = NewDisposeScope();
        int layers = routing.Count;
        int attention = routing[0].Attention.Experts, mlp = routing[0].Mlp.Experts;
        var kept = realTokens?.nonzero().flatten();                                  // (N',)
        var (attnIds, attnGates) = Flatten(routing.Select(r => r.Attention).ToList(), attention, 0, kept);
        var (mlpIds, mlpGates) = Flatten(routing.Select(r => r.Mlp).ToList(), mlp, layers * attention, kept);
        // One bincount over both kinds and all layers: two host copies per forward instead of 4 per layer.
        var ids = cat([attnIds, mlpIds]);
        int total = layers * (attention + mlp);
        var counts = bincount(ids, minlength: total).data<long>().ToArray();
        var sums = bincount(ids, cat([attnGates, mlpGates]), minlength: total).data<double>().ToArray();
        return new RoutingTally(layers, attention, mlp, counts, sums);
    }

    /// <returns>flat slot ids (L·N'·k,) offset per layer, and the matching gates as float64.</returns>
    private static (Tensor Ids, Tensor Gates) Flatten(IReadOnlyList<RouterOutput> outputs, int experts, long offset, Tensor? kept)
    {
        var ids = stack(outputs.Select(o => o.TopKIndices).ToList());                // (L, N, k)
        var gates = stack(outputs.Select(o => o.TopKGates).ToList());                // (L, N, k)
        if (kept is not null) (ids, gates) = (ids.index_select(1, kept), gates.index_select(1, kept)); // (L, N', k)
        var layerOffsets = arange(outputs.Count, dtype: ScalarType.Int64).mul(experts).add(offset).view(-1, 1, 1);
        return ((ids + layerOffsets).flatten(), gates.to(ScalarType.Float64).flatten());
    }
}
