using ModuleService.Model.Diagnostics;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>What one router call decided for N = B·T tokens, plus what the aux losses need.</summary>
/// <param name="Logits">(N, E) router logits; masked-out experts hold −∞.</param>
/// <param name="Probabilities">(N, E) softmax over the experts left by the mask.</param>
/// <param name="TopKIndices">(N, k) selected experts, by descending probability.</param>
/// <param name="TopKGates">(N, k) their probabilities, not renormalised.</param>
public sealed record RouterOutput(Tensor Logits, Tensor Probabilities, Tensor TopKIndices, Tensor TopKGates)
{
    public int Experts => (int)Logits.shape[1];
    public int TopK => (int)TopKIndices.shape[1];
}

/// <summary>
/// Token-to-expert bookkeeping shared by the query and output projections of one routing decision
/// (the reference's <c>compute_gating</c>). Flat pair index f = n·k + s.
/// </summary>
/// <param name="SortedPairs">(N·k,) flat pair indices ordered by expert.</param>
/// <param name="TokenOfPair">(N·k,) the token of each sorted pair (SortedPairs / k).</param>
/// <param name="GateOfPair">(N·k,) the gate of each sorted pair.</param>
/// <param name="ExpertSizes">pairs per expert, on the host (one sync per router call).</param>
public sealed record ExpertDispatch(Tensor SortedPairs, Tensor TokenOfPair, Tensor GateOfPair, long[] ExpertSizes)
{
    public static ExpertDispatch From(RouterOutput routing)
    {
        using var _ = ForwardProfiler.Scope("dispatch");
        var flatExperts = routing.TopKIndices.flatten();                        // (N·k,)
        var sortedPairs = flatExperts.sort(stable: true).Indices;               // (N·k,)
        var sizes = bincount(flatExperts, minlength: routing.Experts).data<long>().ToArray();
        var tokenOfPair = sortedPairs.div(routing.TopK, rounding_mode: RoundingMode.floor);
        var gateOfPair = routing.TopKGates.flatten().index_select(0, sortedPairs);
        return new ExpertDispatch(sortedPairs, tokenOfPair, gateOfPair, sizes);
    }
}
