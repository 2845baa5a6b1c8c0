using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>Auxiliary router losses, each computed over all N tokens of one router call.</summary>
public static class RoutingLosses
{
    /// <summary>
    /// Mutual-information loss of the reference (<c>aux_loss_type = "mi"</c>): H(e|x) − H(e), i.e. −MI(e; x).
    /// Minimising it makes each token's routing confident while the batch uses the experts evenly.
    /// </summary>
    public static Tensor MutualInformation(RouterOutput routing)
    {
        var probs = routing.Probabilities;                                       // (N, E)
        var logProbs = ZeroWhereUnused(routing.Logits.log_softmax(-1), probs);
        var conditionalEntropy = -(probs * logProbs).sum(-1).mean();
        return conditionalEntropy - MarginalEntropy(probs);
    }

    /// <summary>
    /// Load-concentration loss (paper §finetuning; not in the reference code): the entropy of the marginal
    /// expert distribution over the batch. Weighted positively it concentrates a task on few experts.
    /// </summary>
    public static Tensor LoadConcentration(RouterOutput routing) => MarginalEntropy(routing.Probabilities);

    /// <summary>
    /// Switch-Transformer balance loss + 0.1 · z-loss (any other <c>aux_loss_type</c>). The z-loss is
    /// log(Σ exp) computed naively, as the reference does.
    /// </summary>
    public static Tensor SwitchWithZLoss(RouterOutput routing)
    {
        var probs = routing.Probabilities;
        var importance = probs.sum(0L);                                          // (E,)
        importance = importance / importance.sum();
        var selected = zeros_like(probs).scatter(-1, routing.TopKIndices, ones_like(routing.TopKGates)).sum(0L);
        selected = selected / selected.sum();
        var switchLoss = routing.Experts * (selected * importance).sum();
        var finiteLogits = routing.Logits.masked_fill(routing.Logits.isneginf(), 0);
        var expLogits = finiteLogits.exp().masked_fill(routing.Logits.isneginf(), 0);
        var zLoss = expLogits.sum(-1).log().pow(2).mean();
        return switchLoss + 0.1 * zLoss;
    }

    /// <summary>The loss the config names: <c>mi</c> or Switch + z.</summary>
    public static Tensor ForConfig(ModuleFormerConfig config, RouterOutput routing) =>
        config.AuxLossType == "mi" ? MutualInformation(routing) : SwitchWithZLoss(routing);

    /// <summary>H(p̄) = −Σ p̄ log(p̄ + 1e-8), p̄ = mean over tokens.</summary>
    private static Tensor MarginalEntropy(Tensor probs)
    {
        var marginal = probs.mean([0L]);                                         // (E,)
        return -(marginal * (marginal + 1e-8).log()).sum();
    }

    /// <summary>Masked-out experts have p = 0 and log p = −∞; their term is 0, not NaN.</summary>
    private static Tensor ZeroWhereUnused(Tensor logProbs, Tensor probs) =>
        logProbs.masked_fill(probs.eq(0).logical_and(logProbs.isneginf()), 0);
}
