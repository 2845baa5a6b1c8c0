using System.Diagnostics;
using ModuleService.Model.Architecture;
using TorchSharp;
using ModuleService.Model.Generation;
using static TorchSharp.torch;

namespace ModuleService.Cli;

/// <summary>Median timings of one variant; throughputs are derived from them.</summary>
internal sealed record BenchResult(BenchVariant Variant, ParameterBreakdown Counts, double ForwardMs, double DecodeB1Ms, double DecodeB8Ms, double? PeakRssMib)
{
    public double ForwardTokensPerS => BenchRunner.PrefillBatch * BenchRunner.PrefillTokens / (ForwardMs / 1000);
    public double DecodeB1TokensPerS => BenchRunner.NewTokens / (DecodeB1Ms / 1000);
    public double DecodeB8TokensPerS => BenchRunner.DecodeBatch * BenchRunner.NewTokens / (DecodeB8Ms / 1000);
}

/// <summary>Builds one variant with random weights and times prefill and greedy decoding.</summary>
internal static class BenchRunner
{
    public const int PrefillBatch = 8;
    public const int PrefillTokens = 256;
    public const int PromptTokens = 16;
    public const int NewTokens = 128;
    public const int DecodeBatch = 8;

    public static BenchResult Run(BenchVariant variant, ScalarType dtype, int runs, long seed, TextWriter log)
    {
        bool peakReset = ProcessStats.TryResetPeak();
        var counts = ParameterCounts.For(variant.Config);
        log.WriteLine($"[bench] {variant.Name}: building {counts.Total:N0} parameters ({CommandLine.DTypeName(dtype)})");
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

        double forward = Median(runs, $"{variant.Name} prefill {PrefillBatch}×{PrefillTokens}", log, () =>
        {
            using var scope = NewDisposeScope();
            using var _ = inference_mode();
            model.forward(prefillIds);
        });
        double decodeB1 = Median(runs, $"{variant.Name} decode b1", log, () => Decode(model, promptB1));
        double decodeB8 = Median(runs, $"{variant.Name} decode b{DecodeBatch}", log, () => Decode(model, promptB8));
        var peak = ProcessStats.PeakRssMib();
        if (!peakReset) log.WriteLine("[bench] could not reset the peak RSS counter; peak_rss_mib is the process peak so far");
        return new BenchResult(variant, counts, forward, decodeB1, decodeB8, peak);
    }

    /// <summary>Greedy, no EOS, so every run produces exactly <see cref="NewTokens"/> per row.</summary>
    private static void Decode(ModuleFormerForCausalLM model, Tensor prompt)
    {
        var results = TextGenerator.Generate(model, prompt, null, new GenerationOptions(NewTokens), [SamplingOptions.Greedy]);
        if (results.Any(r => r.Tokens.Count != NewTokens)) throw new InvalidOperationException("decode stopped early");
    }

    private static Tensor RandomIds(Random random, int batch, int time, int vocab) =>
        tensor(Enumerable.Range(0, batch * time).Select(_ => random.NextInt64(vocab)).ToArray(), [batch, time]);

    /// <summary>One untimed warm-up (first-call allocations, oneDNN kernel selection), then the median of the runs.</summary>
    private static double Median(int runs, string label, TextWriter log, Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        log.WriteLine($"[bench] {label}: warm-up {clock.Elapsed.TotalMilliseconds:F1} ms (RSS {ProcessStats.CurrentRssMib():F0} MiB)");
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            clock.Restart();
            action();
            times[i] = clock.Elapsed.TotalMilliseconds;
            log.WriteLine($"[bench] {label}: run {i + 1}/{runs} {times[i]:F1} ms (RSS {ProcessStats.CurrentRssMib():F0} MiB)");
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }
}
