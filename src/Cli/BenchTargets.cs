namespace ModuleService.Cli;

/// <summary>One goal of issue #7 checked against this run's numbers (the sparse variant's).</summary>
internal sealed record TargetCheck(string Name, string DType, double Value, double Goal, string Unit)
{
    public bool Met => Value >= Goal;
}

/// <summary>The targets a single bench run can check; the peer ratios come from <c>scripts/bench-peer.sh</c>.</summary>
internal static class BenchTargets
{
    public static IReadOnlyList<TargetCheck> Check(IReadOnlyList<BenchResult> results, MachineLimits? limits)
    {
        var checks = new List<TargetCheck>();
        foreach (var moe in results.Where(r => r.Variant.Name == BenchVariants.Sparse))
        {
            string dtype = moe.DTypeName;
            var total = results.FirstOrDefault(r => r.Variant.Name == BenchVariants.DenseEqualTotal && r.DType == moe.DType);
            if (total is not null)
            {
                checks.Add(new("prefill tok/s, sparse ÷ dense-equal-total", dtype, moe.ForwardTokensPerS / total.ForwardTokensPerS, 2, "×"));
                checks.Add(new("decode b1 tok/s, sparse ÷ dense-equal-total", dtype, moe.DecodeB1TokensPerS / total.DecodeB1TokensPerS, 2, "×"));
                if (moe.TrainTokensPerS is double sparseTrain && total.TrainTokensPerS is double denseTrain)
                    checks.Add(new("train tok/s, sparse ÷ dense-equal-total", dtype, sparseTrain / denseTrain, 2.5, "×"));
            }
            checks.Add(new("decode b8 ÷ decode b1 tok/s", dtype, moe.DecodeB8TokensPerS / moe.DecodeB1TokensPerS, 4, "×"));
            var efficiency = BenchEfficiency.Of(moe, limits);
            if (efficiency.DecodeB1Fraction is double bandwidth)
                checks.Add(new("decode b1 weight bytes/s ÷ copy bandwidth", dtype, bandwidth, 0.5, "fraction"));
            // The issue sets this goal for the MoLM-350M-4B shape; smaller configs show it for comparison. Over 100 %
            // means the square-matmul probe is not this CPU's bf16 limit (without AVX512-BF16 it takes a slower path).
            if (efficiency.PrefillFraction is double compute && moe.DType == TorchSharp.torch.ScalarType.BFloat16)
                checks.Add(new("prefill useful FLOP/s ÷ bf16 matmul rate", dtype, compute, 0.4, "fraction"));
        }
        return checks;
    }
}
