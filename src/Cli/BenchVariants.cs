using ModuleService.Model;

namespace ModuleService.Cli;

/// <summary>A model shape to benchmark, with a one-line definition for the report.</summary>
internal sealed record BenchVariant(string Name, string Definition, ModuleFormerConfig Config);

/// <summary>
/// The MoE config as given, and optionally two dense baselines built from it. Both dense variants keep one expert
/// (E = 1, k = 1) per kind, so they run the same code path; their router then always picks that expert with
/// probability 1 (a small shared cost, counted in their parameters). Head size A/H is unchanged: the attention
/// gets k (or E) heads' worth of width as that many heads, each with its own stick-breaking attention. Because
/// att_hidden then differs from n_embd, the dense attention has k_proj/v_proj Linears where MoLM has identity K/V.
/// </summary>
internal static class BenchVariants
{
    public const string Sparse = "moe";
    public const string DenseEqualActive = "dense-equal-active";
    public const string DenseEqualTotal = "dense-equal-total";

    public const string DenseEqualActiveDefinition =
        "dense, equal active: attention E=1, k=1 with att_hidden×k_att and n_head×k_att heads; MLP E=1, k=1 with ffd_hidden×k_mlp";

    public const string DenseEqualTotalDefinition =
        "dense, equal total: attention E=1, k=1 with att_hidden×n_att_experts and n_head×n_att_experts heads; MLP E=1, k=1 with ffd_hidden×n_mlp_experts";

    public static IReadOnlyList<BenchVariant> For(ModuleFormerConfig config, bool denseBaselines)
    {
        var variants = new List<BenchVariant>
        {
            new(Sparse, $"the config as given: {config.AttentionExperts} attention experts (top-{config.AttentionTopK}), {config.MlpExperts} MLP experts (top-{config.MlpTopK})", config),
        };
        if (!denseBaselines) return variants;
        variants.Add(new(DenseEqualActive, DenseEqualActiveDefinition, Dense(config, config.AttentionTopK, config.MlpTopK)));
        variants.Add(new(DenseEqualTotal, DenseEqualTotalDefinition, Dense(config, config.AttentionExperts, config.MlpExperts)));
        return variants;
    }

    /// <param name="attentionWidth">how many attention experts' width the single dense attention gets.</param>
    /// <param name="mlpWidth">how many MLP experts' width the single dense MLP gets.</param>
    private static ModuleFormerConfig Dense(ModuleFormerConfig c, int attentionWidth, int mlpWidth) => c with
    {
        AttentionExperts = 1,
        AttentionTopK = 1,
        AttentionHidden = c.AttentionHidden * attentionWidth,
        Heads = c.Heads * attentionWidth,
        MlpExperts = 1,
        MlpTopK = 1,
        MlpHidden = c.MlpHidden * mlpWidth,
        SampleTopK = 0,
    };
}
