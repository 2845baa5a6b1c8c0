using ModuleService.Model;

namespace ModuleService.Cli;

/// <summary>
/// A row of the profile: a <see cref="Model.Diagnostics.ForwardProfiler"/> path, what it covers, and its useful
/// FLOPs per call where they are plain matmul work (null for lookups, copies and elementwise work).
/// </summary>
internal sealed record ProfileComponent(string Path, string Label, Func<ModuleFormerConfig, ParameterBreakdown, ProfiledCall, double>? Flops = null);

/// <summary>The profile's rows, in forward order. Per-layer parts are summed over the layers.</summary>
internal static class BenchProfileComponents
{
    public const string Other = "other";

    public static readonly IReadOnlyList<ProfileComponent> All =
    [
        new("embedding", "token embedding (wte)"),
        new("layer_norm", "layer norms (ln_1, ln_2, ln_f)"),
        new("attention.router", "attention: router + top-k gate", (c, p, call) => Rows(call) * 2.0 * c.Layers * p.Layer.AttentionRouter),
        new("attention.dispatch", "attention: dispatch (sort, bincount, gather, unsort)"),
        new("attention.experts", "attention: q/o expert projections (ParallelExperts)",
            (c, p, call) => Rows(call) * 2.0 * c.Layers * c.AttentionTopK * p.Layer.AttentionExpert),
        new("attention.kv_projections", "attention: k/v projections (Linear; none for identity K/V)",
            (c, p, call) => Rows(call) * 2.0 * c.Layers * p.Layer.KeyValue),
        new("attention.kv_cache", "attention: KV cache update"),
        new("attention.stick_breaking", "attention: stick-breaking math (QKᵀ, σ, suffix sums, ·V)", StickBreakingFlops),
        new("attention.combine", "attention: combine (gate × output, scatter-add)"),
        new("mlp.router", "MLP: router + top-k gate", (c, p, call) => Rows(call) * 2.0 * c.Layers * p.Layer.MlpRouter),
        new("mlp.dispatch", "MLP: dispatch (sort, bincount, gather)"),
        new("mlp.experts", "MLP: expert matmuls (ParallelExperts)", (c, p, call) => Rows(call) * 2.0 * c.Layers * c.MlpTopK * p.Layer.MlpExpert),
        new("mlp.activation", "MLP: activation"),
        new("mlp.combine", "MLP: combine (gate × output, scatter-add)"),
        new("lm_head", "LM head", (c, p, call) => call.LogitRows * 2.0 * p.LmHead),
    ];

    /// <summary>Milliseconds per row, then "other" = the measured total minus their sum (residual adds, views, hooks).</summary>
    public static IReadOnlyList<(ProfileComponent Component, double Ms)> Split(ProfiledCall call)
    {
        var rows = All.Select(c => (c, call.ComponentMs.GetValueOrDefault(c.Path))).ToList();
        rows.Add((new ProfileComponent(Other, "other: total minus the rows above (residual adds, reshapes, call and profiler overhead)"), call.TotalMs - rows.Sum(r => r.Item2)));
        return rows;
    }

    private static double Rows(ProfiledCall call) => (double)call.Batch * call.Tokens;

    /// <summary>
    /// QKᵀ and weights·V over the causal pairs: the T new tokens of a row see C − T + 1 … C keys, so a prefill
    /// (C = T) has T(T+1)/2 pairs per row and a decode step (T = 1) C. 4 FLOPs per pair and attention width.
    /// </summary>
    private static double StickBreakingFlops(ModuleFormerConfig c, ParameterBreakdown p, ProfiledCall call)
    {
        double t = call.Tokens, pairs = call.Batch * (t * (call.MeanContext - t) + t * (t + 1) / 2);
        return 4.0 * c.Layers * c.AttentionTopK * c.AttentionHidden * pairs;
    }
}
