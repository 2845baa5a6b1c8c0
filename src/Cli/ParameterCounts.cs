using ModuleService.Model;
using TorchSharp;

namespace ModuleService.Cli;

/// <summary>
/// Parameter counts of one block, split into the parts a token may or may not use. Buffers (the reference's
/// <c>attn.mask</c>/<c>attn.cum_weight</c>) are not parameters and are never counted.
/// </summary>
/// <param name="AttentionExpert">one attention expert: Wq [D, A] + Wo [A, D].</param>
/// <param name="AttentionRouter">the attention router (Linear D→G with bias + Linear G→E, or one Linear D→E).</param>
/// <param name="KeyValue">the shared k_proj/v_proj Linears (with bias); 0 when K = V = LN1 output (MoLM).</param>
/// <param name="MlpExpert">one MLP expert: W1 [D, F] + W2 [F, D].</param>
/// <param name="MlpRouter">the MLP router.</param>
/// <param name="LayerNorms">ln_1 and ln_2, weight and bias each.</param>
public sealed record LayerParameterCounts(
    long AttentionExpert, int AttentionExperts, int AttentionTopK, long AttentionRouter, long KeyValue,
    long MlpExpert, int MlpExperts, int MlpTopK, long MlpRouter, long LayerNorms)
{
    /// <summary>Parameters shared by every token: routers, K/V projections, LayerNorms.</summary>
    public long Shared => AttentionRouter + KeyValue + MlpRouter + LayerNorms;

    public long Total => AttentionExperts * AttentionExpert + MlpExperts * MlpExpert + Shared;

    /// <summary>What one token touches: k of E experts of each kind plus everything shared (full routers included).</summary>
    public long ActivePerToken => AttentionTopK * AttentionExpert + MlpTopK * MlpExpert + Shared;
}

/// <summary>
/// Whole-model counts, with the definitions of spec §7.3 and of the fixtures' <c>active_params_per_token</c>.
/// </summary>
/// <param name="Embedding">wte [V, D]; a lookup reads one row per token, so "active" figures leave it out.</param>
/// <param name="FinalNorm">ln_f weight and bias.</param>
/// <param name="LmHead">lm_head [V, D], no bias, untied.</param>
public sealed record ParameterBreakdown(LayerParameterCounts Layer, int Layers, long Embedding, long FinalNorm, long LmHead)
{
    public long Blocks => Layers * Layer.Total;

    public long Total => Embedding + Blocks + FinalNorm + LmHead;

    /// <summary>Spec §7.3 "active in blocks + ln_f" (MoLM-350M-4B: 314,980,352).</summary>
    public long ActiveBlocksAndFinalNorm => Layers * Layer.ActivePerToken + FinalNorm;

    /// <summary>Fixture <c>active_params_per_token</c>: blocks (k of E experts) + ln_f + lm_head (MoLM-350M-4B: 366,482,432).</summary>
    public long ActivePerToken => ActiveBlocksAndFinalNorm + LmHead;

    /// <summary>Spec §7.3 "active incl. wte + lm_head", the whole embedding table counted (MoLM-350M-4B: 417,984,512).</summary>
    public long ActiveIncludingEmbedding => ActivePerToken + Embedding;
}

/// <summary>
/// Parameter-count math for a ModuleFormer config. It is pure arithmetic on the config (no weights needed), so
/// <c>inspect</c> works on multi-GB checkpoints instantly and <c>bench</c> can describe variants it builds.
/// </summary>
public static class ParameterCounts
{
    public static ParameterBreakdown For(ModuleFormerConfig config)
    {
        long d = config.HiddenSize, a = config.AttentionHidden, f = config.MlpHidden, v = config.VocabSize;
        var layer = new LayerParameterCounts(
            AttentionExpert: 2 * d * a,
            AttentionExperts: config.AttentionExperts,
            AttentionTopK: config.AttentionTopK,
            AttentionRouter: Router(config, config.AttentionExperts),
            KeyValue: config.IdentityKeyValue ? 0 : 2 * (a * d + a),
            MlpExpert: 2 * d * f,
            MlpExperts: config.MlpExperts,
            MlpTopK: config.MlpTopK,
            MlpRouter: Router(config, config.MlpExperts),
            LayerNorms: 2 * 2 * d);
        return new ParameterBreakdown(layer, config.Layers, Embedding: v * d, FinalNorm: 2 * d, LmHead: v * d);
    }

    /// <summary>Gate type <c>mlp</c>: Linear(D→G, bias) → GELU → Linear(G→E, no bias); <c>linear</c>: Linear(D→E, no bias).</summary>
    public static long Router(ModuleFormerConfig config, long experts) => config.GateType == "linear"
        ? config.HiddenSize * experts
        : (long)config.HiddenSize * config.GatingSize + config.GatingSize + config.GatingSize * experts;

    /// <summary>Counts the parameters a built module really has, to cross-check <see cref="For"/>.</summary>
    public static long Count(torch.nn.Module module) => module.parameters().Sum(p => p.numel());
}
