namespace ModuleService.Cli.Experiments;

/// <summary>Domain–expert statistics of the MLP routers (data-and-evaluation §4.2, "Usage").</summary>
public static class UsageStatistics
{
    /// <summary>
    /// I = H(p_mix) − Σ_d w_d H(p_d) with equal weights w_d, per layer, averaged over layers: 0 when every domain
    /// uses the experts alike, up to ln(#domains) when the domains use disjoint experts.
    /// </summary>
    public static double MutualInformation(IReadOnlyDictionary<string, DomainScore> scores)
    {
        var domains = scores.Values.ToList();
        int layers = domains[0].Result.Usage.Count;
        double total = 0;
        for (int layer = 0; layer < layers; layer++)
        {
            var shares = domains.Select(d => d.Result.Usage[layer].Mlp.Share).ToList();
            var mixture = Enumerable.Range(0, shares[0].Length).Select(e => shares.Average(s => s[e])).ToArray();
            total += Entropy(mixture) - shares.Average(Entropy);
        }
        return total / layers;
    }

    static double Entropy(double[] p) => -p.Where(x => x > 0).Sum(x => x * Math.Log(x));
}
