namespace ModuleService.Cli;

/// <summary>One goal of issue #7 checked against this run's numbers (the sparse variant's).</summary>
/// <param name="NotMeasurable">why this machine cannot check the goal (then neither met nor missed).</param>
internal sealed record TargetCheck(string Name, string DType, double Value, double Goal, string Unit, string? NotMeasurable = null)
{
    public bool Met => NotMeasurable is null && Value >= Goal;

    public string Status => NotMeasurable is { } why ? $"not measurable: {why}" : Met ? "met" : "missed";
}

/// <summary>The targets a single bench run can check; the peer ratios come from <c>scripts/bench-peer.sh</c>.</summary>
internal static class BenchTargets
{
    public static IReadOnlyList<TargetCheck> Check(IReadOnlyList<BenchResult> results, MachineLimits? limits, MachineInfo machine)
    {
        var checks = new List<TargetCheck>();
        foreach (var moe in results.Where(r => r.Variant.Name == BenchVariants.Sparse))
        {
            string dtype = moe.DTypeName;
            // The bf16 goals assume bf16 hardware; emulated bf16 measures the emulation, not the model.
            string? emulated = moe.DType == TorchSharp.torch.ScalarType.BFloat16 && !machine.Avx512Bf16
                ? "bf16 is emulated on this CPU (no AVX512-BF16)" : null;
            void Add(string name, double value, double goal, string unit) => checks.Add(new(name, dtype, value, goal, unit, emulated));
            var total = results.FirstOrDefault(r => r.Variant.Name == BenchVariants.DenseEqualTotal && r.DType == moe.DType);
            if (total is not null)
            {
                Add("prefill tok/s, sparse ÷ dense-equal-total", moe.ForwardTokensPerS / total.ForwardTokensPerS, 2, "×");
                Add("decode b1 tok/s, sparse ÷ dense-equal-total", moe.DecodeB1TokensPerS / total.DecodeB1TokensPerS, 2, "×");
                if (moe.TrainTokensPerS is double sparseTrain && total.TrainTokensPerS is double denseTrain)
                    Add("train tok/s, sparse ÷ dense-equal-total", sparseTrain / denseTrain, 2.5, "×");
            }
            Add("decode b8 ÷ decode b1 tok/s", moe.DecodeB8TokensPerS / moe.DecodeB1TokensPerS, 4, "×");
            var efficiency = BenchEfficiency.Of(moe, limits);
            if (efficiency.DecodeB1Fraction is double bandwidth)
                Add("decode b1 weight bytes/s ÷ copy bandwidth", bandwidth, 0.5, "fraction");
            // The issue sets this goal for the MoLM-350M-4B shape; smaller configs show it for comparison. Emulated,
            // it can pass 100 %: the square-matmul probe then measures a slower path than the model's small matmuls.
            if (efficiency.PrefillFraction is double compute && moe.DType == TorchSharp.torch.ScalarType.BFloat16)
                Add("prefill useful FLOP/s ÷ bf16 matmul rate", compute, 0.4, "fraction");
        }
        return checks;
    }
}
