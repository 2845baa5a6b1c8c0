using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>
/// How one MoE (one layer, one kind) routed the evaluated tokens. Each token makes k (token, slot) assignments,
/// so <see cref="SelectionCounts"/> sums to Tokens·k; <see cref="Share"/> is p(e) of data-and-evaluation §4.2.
/// </summary>
/// <param name="Tokens">tokens routed.</param>
/// <param name="TopK">k, selections per token.</param>
/// <param name="SelectionCounts">per expert, the (token, slot) assignments it received.</param>
/// <param name="MeanGate">per expert, its mean gate over the assignments it received (0 if never chosen).</param>
/// <param name="MeanProbability">per expert, its mean router probability over all tokens.</param>
public sealed record ExpertUsage(long Tokens, int TopK, long[] SelectionCounts, double[] MeanGate, double[] MeanProbability)
{
    public int Experts => SelectionCounts.Length;

    /// <summary>p(e) = count(e) / (Tokens·k).</summary>
    public double[] Share => SelectionCounts.Select(c => Tokens == 0 ? 0 : (double)c / (Tokens * TopK)).ToArray();

    /// <summary>H = −Σ p(e) ln p(e), in nats.</summary>
    public double Entropy => -Share.Where(p => p > 0).Sum(p => p * Math.Log(p));

    /// <summary>exp(H): how many equally used experts would give the same entropy.</summary>
    public double EffectiveExperts => Math.Exp(Entropy);

    /// <summary>H / ln E, 1 for perfectly even use.</summary>
    public double NormalizedEntropy => Experts > 1 ? Entropy / Math.Log(Experts) : 1;

    /// <summary>Expert indices from most to least selected (ties: lower index first), the pruning order.</summary>
    public int[] Ranking => Enumerable.Range(0, Experts).OrderByDescending(e => SelectionCounts[e]).ThenBy(e => e).ToArray();
}

/// <summary>Usage of both MoEs of one layer.</summary>
public sealed record LayerExpertUsage(int Layer, ExpertUsage Attention, ExpertUsage Mlp);

/// <summary>Sums router statistics over batches on the host in double precision.</summary>
internal sealed class ExpertUsageAccumulator(int experts)
{
    private readonly long[] counts = new long[experts];
    private readonly double[] gateSums = new double[experts];
    private readonly double[] probabilitySums = new double[experts];
    private long tokens;
    private int topK;

    public void Add(RouterOutput routing)
    {
        using var scope = NewDisposeScope();
        // Host copies: the sums end up in managed arrays anyway, and this works whatever device the model is on.
        var indices = routing.TopKIndices.flatten().cpu();                       // (N·k,)
        var selected = bincount(indices, minlength: experts).data<long>().ToArray();
        var gates = zeros(experts, ScalarType.Float64)
            .index_add(0, indices, routing.TopKGates.flatten().cpu().to(ScalarType.Float64), 1).data<double>().ToArray();
        var probabilities = routing.Probabilities.to(ScalarType.Float64).sum(0L).cpu().data<double>().ToArray(); // (E,)
        for (int e = 0; e < experts; e++)
        {
            counts[e] += selected[e];
            gateSums[e] += gates[e];
            probabilitySums[e] += probabilities[e];
        }
        tokens += routing.TopKIndices.shape[0];
        topK = routing.TopK;
    }

    public ExpertUsage Result() => new(tokens, topK, counts.ToArray(),
        gateSums.Select((sum, e) => counts[e] == 0 ? 0 : sum / counts[e]).ToArray(),
        probabilitySums.Select(sum => tokens == 0 ? 0 : sum / tokens).ToArray());
}
