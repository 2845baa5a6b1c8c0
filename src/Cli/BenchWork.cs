using ModuleService.Model;

namespace ModuleService.Cli;

/// <summary>
/// How much useful work each measurement does, from the config alone (the formulas are in the bench usage text).
/// "Useful" counts what the model needs, not what an implementation happens to compute: the causal half of
/// attention, k of E experts, no padding, no elementwise work.
/// </summary>
internal static class BenchWork
{
    /// <summary>2 FLOPs per active parameter per token, plus attention.</summary>
    public static double ForwardFlops(ModuleFormerConfig config, ParameterBreakdown counts, int batch, int time) =>
        2.0 * counts.ActivePerToken * batch * time + AttentionFlops(config, batch, time);

    /// <summary>
    /// QKᵀ and (attention weights)·V over the causal pairs j ≤ i: per layer and selected attention expert,
    /// 2 matmuls × 2 FLOPs × att_hidden × T(T+1)/2 pairs per row.
    /// </summary>
    public static double AttentionFlops(ModuleFormerConfig config, int batch, int time) =>
        4.0 * config.Layers * config.AttentionTopK * config.AttentionHidden * batch * (time * (time + 1.0) / 2);

    /// <summary>Forward + backward ≈ 3 forwards (the backward computes gradients for inputs and weights).</summary>
    public static double TrainingFlops(ModuleFormerConfig config, ParameterBreakdown counts, int batch, int time) =>
        3 * ForwardFlops(config, counts, batch, time);

    /// <summary>
    /// Weight bytes one token reads at batch 1: its k attention and k MLP experts, everything shared (routers, K/V
    /// projections, LayerNorms), ln_f, lm_head and its embedding row. The KV cache (&lt; 1 % here) is left out.
    /// </summary>
    public static double DecodeBytesPerToken(ModuleFormerConfig config, ParameterBreakdown counts, int elementBytes) =>
        (double)(counts.ActivePerToken + config.HiddenSize) * elementBytes;
}
