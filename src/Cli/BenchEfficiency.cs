namespace ModuleService.Cli;

/// <summary>A result's rates in useful work per second, and as fractions of the machine's measured limits.</summary>
/// <param name="PrefillFraction">prefill useful FLOP/s ÷ matmul rate of the result's dtype.</param>
/// <param name="DecodeB1Fraction">decode b1 weight bytes per token × tokens/s ÷ copy bandwidth.</param>
/// <param name="TrainFraction">training useful FLOP/s ÷ fp32 matmul rate.</param>
internal sealed record BenchEfficiency(
    double PrefillGflops, double? PrefillFraction,
    double DecodeBytesPerToken, double DecodeB1GBps, double? DecodeB1Fraction,
    double? TrainGflops, double? TrainFraction)
{
    public static BenchEfficiency Of(BenchResult r, MachineLimits? limits)
    {
        var config = r.Variant.Config;
        double prefill = BenchWork.ForwardFlops(config, r.Counts, BenchRunner.PrefillBatch, BenchRunner.PrefillTokens) / (r.ForwardMs / 1000) / 1e9;
        double bytes = BenchWork.DecodeBytesPerToken(config, r.Counts, r.DType == TorchSharp.torch.ScalarType.BFloat16 ? 2 : 4);
        double decode = bytes * r.DecodeB1TokensPerS / 1e9;
        double? train = r.TrainStepMs is double ms
            ? BenchWork.TrainingFlops(config, r.Counts, BenchRunner.PrefillBatch, BenchRunner.PrefillTokens) / (ms / 1000) / 1e9
            : null;
        return new BenchEfficiency(
            prefill, limits is null ? null : prefill / limits.MatmulGflops(r.DType),
            bytes, decode, limits is null ? null : decode / limits.CopyGBps,
            train, train is double t && limits is not null ? t / limits.Fp32MatmulGflops : null);
    }
}
