using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>Median timings of one variant in one dtype; throughputs are derived from them.</summary>
/// <param name="TrainStepMs">null when training was not asked for or the dtype is not fp32 (the trainer needs fp32).</param>
internal sealed record BenchResult(BenchVariant Variant, ScalarType DType, ParameterBreakdown Counts,
    double ForwardMs, double DecodeB1Ms, double DecodeB8Ms, double? PeakRssMib, double? TrainStepMs, double? TrainPeakRssMib)
{
    public string DTypeName => CommandLine.DTypeName(DType);
    public double ForwardTokensPerS => BenchRunner.PrefillBatch * BenchRunner.PrefillTokens / (ForwardMs / 1000);
    public double DecodeB1TokensPerS => BenchRunner.NewTokens / (DecodeB1Ms / 1000);
    public double DecodeB8TokensPerS => BenchRunner.DecodeBatch * BenchRunner.NewTokens / (DecodeB8Ms / 1000);
    public double? TrainTokensPerS => TrainStepMs is double ms ? BenchRunner.PrefillBatch * BenchRunner.PrefillTokens / (ms / 1000) : null;
    /// <summary>The --profile breakdown; null without --profile.</summary>
    public BenchProfileResult? Profile { get; init; }
}

/// <summary>Builds one variant with random weights and times prefill, greedy decoding and (fp32) a training step.</summary>
internal static class BenchRunner
{
    public const int PrefillBatch = 8;
    public const int PrefillTokens = 256;
    public const int PromptTokens = 16;
    public const int NewTokens = 128;
    public const int DecodeBatch = 8;

    public static BenchResult Run(BenchVariant variant, ScalarType dtype, int runs, long seed, bool train, bool gradientCheckpointing, bool profile, TextWriter log)
    {
        bool peakReset = ProcessStats.TryResetPeak();
        var counts = ParameterCounts.For(variant.Config);
        string name = $"{variant.Name} {CommandLine.DTypeName(dtype)}";
        log.WriteLine($"[bench] {name}: building {counts.Total:N0} parameters");
        using var model = new ModuleFormerForCausalLM(variant.Config);
        model.InitializeWeights(seed);
        if (dtype != ScalarType.Float32) model.to(dtype);
        model.eval();
        long built = ParameterCounts.Count(model);
        if (built != counts.Total)
            throw new CliException($"variant {variant.Name}: the model has {built:N0} parameters, ParameterCounts says {counts.Total:N0}");

        var random = new Random((int)seed);
        using var prefillIds = RandomIds(random, PrefillBatch, PrefillTokens, variant.Config.VocabSize);
        using var promptB1 = RandomIds(random, 1, PromptTokens, variant.Config.VocabSize);
        using var promptB8 = RandomIds(random, DecodeBatch, PromptTokens, variant.Config.VocabSize);

        double forward = BenchTiming.Median(runs, $"{name} prefill {PrefillBatch}×{PrefillTokens}", log, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            model.forward(prefillIds);
        });
        double decodeB1 = BenchTiming.Median(runs, $"{name} decode b1", log, () => Decode(model, promptB1));
        double decodeB8 = BenchTiming.Median(runs, $"{name} decode b{DecodeBatch}", log, () => Decode(model, promptB8));
        var peak = ProcessStats.PeakRssMib();
        if (!peakReset) log.WriteLine("[bench] could not reset the peak RSS counter; peak_rss_mib is the process peak so far");
        var breakdown = profile ? BenchProfile.Measure(model, prefillIds, runs, seed, name, log) : null;

        double? trainMs = null, trainPeak = null;
        if (train && dtype == ScalarType.Float32)
        {
            ProcessStats.TryResetPeak();
            trainMs = BenchTraining.StepMs(model, PrefillBatch, PrefillTokens, runs, seed, gradientCheckpointing, $"{name} training step {PrefillBatch}×{PrefillTokens}", log);
            trainPeak = ProcessStats.PeakRssMib();
        }
        return new BenchResult(variant, dtype, counts, forward, decodeB1, decodeB8, peak, trainMs, trainPeak) { Profile = breakdown };
    }

    /// <summary>Greedy, no EOS, so every run produces exactly <see cref="NewTokens"/> per row.</summary>
    private static void Decode(ModuleFormerForCausalLM model, Tensor prompt)
    {
        var results = TextGenerator.Generate(model, prompt, null, new GenerationOptions(NewTokens), [SamplingOptions.Greedy]);
        if (results.Any(r => r.Tokens.Count != NewTokens)) throw new InvalidOperationException("decode stopped early");
    }

    internal static Tensor RandomIds(Random random, int batch, int time, int vocab) =>
        tensor(Enumerable.Range(0, batch * time).Select(_ => random.NextInt64(vocab)).ToArray(), [batch, time]);
}
