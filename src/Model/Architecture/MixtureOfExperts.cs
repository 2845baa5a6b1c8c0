using ModuleService.Model.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>
/// A mixture of experts with a top-k router (the reference's <c>MoE</c>): <c>experts</c> [E, in, hidden],
/// <c>output_experts</c> [E, hidden, in], <c>gate</c>. Used two ways: as the MLP (<see cref="forward"/>) and as the
/// attention's per-expert query/output projections (<see cref="Map"/> then <see cref="Reduce"/>).
/// Tokens are grouped by expert (sort + bincount), so each expert multiplies only its own rows.
/// </summary>
public sealed class MixtureOfExperts : nn.Module
{
    private readonly ParallelExperts experts;
    private readonly ParallelExperts output_experts;
    private readonly TopKGate gate;
    private readonly Func<Tensor, Tensor>? activation;

    public MixtureOfExperts(int inputSize, int hiddenSize, int expertCount, int topK, ModuleFormerConfig config,
        Func<Tensor, Tensor>? activation) : base(nameof(MixtureOfExperts))
    {
        experts = new ParallelExperts(expertCount, inputSize, hiddenSize);
        output_experts = new ParallelExperts(expertCount, hiddenSize, inputSize);
        gate = new TopKGate(inputSize, expertCount, topK, config);
        this.activation = activation;
        RegisterComponents();
    }

    public ParallelExperts Experts => experts;
    public ParallelExperts OutputExperts => output_experts;
    public TopKGate Gate => gate;

    /// <summary>MLP use: y_n = Σ_s g_{n,s} · W2[e](act(x_n · W1[e])).</summary>
    /// <param name="x">(B, T, D)</param>
    /// <param name="expertMask">null, (E,) or (N, E)</param>
    public (Tensor Output, RouterOutput Routing) forward(Tensor x, Tensor? expertMask = null)
    {
        using var _ = ForwardProfiler.Scope("mlp");
        var (batch, time, width) = (x.shape[0], x.shape[1], x.shape[2]);
        var tokens = x.reshape(-1, width);                                       // (N, D)
        var routing = gate.forward(tokens, PerToken(expertMask, batch, time));
        var dispatch = ExpertDispatch.From(routing);

        var hidden = experts.forward(Gather(tokens, dispatch.TokenOfPair), dispatch.ExpertSizes); // (N·k, F)
        using (ForwardProfiler.Scope("activation")) hidden = activation!(hidden);
        var outputs = output_experts.forward(hidden, dispatch.ExpertSizes);     // (N·k, D)
        var y = Combine(outputs, dispatch, tokens.shape[0]);                     // (N, D)
        return (y.view(batch, time, width), routing);
    }

    /// <summary>Attention use, first half: route and project each token to its k query slots. No gate here.</summary>
    /// <param name="x">(B, T, D)</param>
    /// <returns>(B, T, k, A) queries, the routing, and the dispatch that <see cref="Reduce"/> reuses.</returns>
    public (Tensor Queries, RouterOutput Routing, ExpertDispatch Dispatch) Map(Tensor x, Tensor? expertMask = null)
    {
        var (batch, time, width) = (x.shape[0], x.shape[1], x.shape[2]);
        var tokens = x.reshape(-1, width);                                       // (N, D)
        var routing = gate.forward(tokens, PerToken(expertMask, batch, time));
        var dispatch = ExpertDispatch.From(routing);

        var projected = experts.forward(Gather(tokens, dispatch.TokenOfPair), dispatch.ExpertSizes); // (N·k, A)
        var queries = Unsort(projected, dispatch);                               // (N·k, A)
        return (queries.view(batch, time, routing.TopK, -1), routing, dispatch);
    }

    /// <summary>Attention use, second half: out_n = Σ_s g_{n,s} · (y_{n,s} · Wo[e_{n,s}]).</summary>
    /// <param name="y">(B, T, k, A) per-slot attention outputs.</param>
    /// <returns>(B, T, D)</returns>
    public Tensor Reduce(Tensor y, ExpertDispatch dispatch)
    {
        var (batch, time) = (y.shape[0], y.shape[1]);
        var pairs = y.reshape(-1, y.shape[3]);                                   // (N·k, A)
        var outputs = output_experts.forward(Gather(pairs, dispatch.SortedPairs), dispatch.ExpertSizes); // (N·k, D)
        return Combine(outputs, dispatch, batch * time).view(batch, time, -1);
    }

    /// <summary>A (B, E) per-row mask becomes (B·T, E) per token; (E,) broadcasts as it is.</summary>
    private static Tensor? PerToken(Tensor? mask, long batch, long time) =>
        mask is null || mask.dim() == 1 || time == 1 ? mask : mask.repeat_interleave(time, 0);

    /// <summary>The rows each expert multiplies, grouped by expert: (N·k, width).</summary>
    private static Tensor Gather(Tensor rows, Tensor sortedIndex)
    {
        using var _ = ForwardProfiler.Scope("dispatch");
        return rows.index_select(0, sortedIndex);
    }

    /// <summary>Back to token-major pair order f = n·k + s: SortedPairs is a permutation, so a copy, not a sum.</summary>
    private static Tensor Unsort(Tensor sortedRows, ExpertDispatch dispatch)
    {
        using var _ = ForwardProfiler.Scope("dispatch");
        return empty_like(sortedRows).index_copy_(0, dispatch.SortedPairs, sortedRows);
    }

    /// <summary>Weights each pair's output by its gate and sums the k pairs of every token.</summary>
    private static Tensor Combine(Tensor pairOutputs, ExpertDispatch dispatch, long tokens)
    {
        using var _ = ForwardProfiler.Scope("combine");
        var weighted = pairOutputs * dispatch.GateOfPair.unsqueeze(1);           // (N·k, D)
        // In place on a fresh zero tensor: the out-of-place index_add would first copy it.
        return zeros(tokens, pairOutputs.shape[1], dtype: pairOutputs.dtype, device: pairOutputs.device)
            .index_add_(0, dispatch.TokenOfPair, weighted, 1);                      // (N, D)
    }
}
