using ModuleService.Model.Training;

namespace ModuleService.Jobs;

/// <summary>One layer's expert usage as job results report it: entropy (nats) and effective experts exp(H) per MoE.</summary>
public sealed record LayerUsageSummary(int Layer, double MlpEntropy, double MlpEffectiveExperts, double AttentionEntropy,
    double AttentionEffectiveExperts);

public static class UsageSummary
{
    public static IReadOnlyList<LayerUsageSummary> PerLayer(IReadOnlyList<LayerExpertUsage> usage) =>
        usage.Select(u => new LayerUsageSummary(u.Layer, u.Mlp.Entropy, u.Mlp.EffectiveExperts, u.Attention.Entropy,
            u.Attention.EffectiveExperts)).ToList();

    /// <summary>Mean over layers of the MLP routers' usage entropy: one number to compare runs by.</summary>
    public static double MeanMlpEntropy(IReadOnlyList<LayerExpertUsage> usage) => usage.Count == 0 ? 0 : usage.Average(u => u.Mlp.Entropy);

    public static double MeanAttentionEntropy(IReadOnlyList<LayerExpertUsage> usage) => usage.Count == 0 ? 0 : usage.Average(u => u.Attention.Entropy);
}
