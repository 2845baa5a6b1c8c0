using System.Globalization;

namespace ModuleService.Cli;

internal sealed record BenchSettings(string ConfigName, string ConfigPath, IReadOnlyList<string> DTypes, int Threads, int Runs, int Layers, int ConfigLayers, long Seed)
{
    public double? LoadAtStart { get; init; }
    public double? LoadAtEnd { get; init; }
    public MachineInfo Machine { get; init; } = MachineInfo.Read();
    public IReadOnlyList<SkippedRun> Skipped { get; init; } = [];
    public bool GradientCheckpointing { get; init; }
}

/// <summary>A variant×dtype not run because its estimated prefill time exceeded --budget-seconds.</summary>
internal sealed record SkippedRun(string Variant, string DType, double EstimatedPrefillSeconds);

/// <summary>The bench output for people: limits, one row per variant and dtype, and the targets.</summary>
internal static class BenchReport
{
    public static void WriteMarkdown(TextWriter o, BenchSettings s, MachineLimits? limits, IReadOnlyList<BenchResult> results)
    {
        string layers = s.Layers == s.ConfigLayers ? $"{s.Layers} layers" : $"{s.Layers} of {s.ConfigLayers} layers";
        o.WriteLine($"## modsvc bench: {s.ConfigName} ({layers}), {string.Join(" + ", s.DTypes)}, {s.Threads} threads, median of {s.Runs} runs");
        o.WriteLine();
        o.WriteLine($"Machine: {s.Machine.Describe()}. 1-min load average: {L(s.LoadAtStart)} at start, {L(s.LoadAtEnd)} at end (timings are only meaningful on an otherwise idle machine, load < cores).");
        o.WriteLine();
        if (limits is not null)
        {
            o.WriteLine($"| limit | fp32 matmul {limits.MatmulSize}³ | bf16 matmul {limits.MatmulSize}³ | copy {limits.CopyBytes >> 20} MiB (read + write) |");
            o.WriteLine("|---|---:|---:|---:|");
            o.WriteLine($"| measured | {F(limits.Fp32MatmulGflops)} GFLOP/s | {F(limits.Bf16MatmulGflops)} GFLOP/s | {F(limits.CopyGBps)} GB/s |");
            o.WriteLine();
        }
        o.WriteLine("| variant | dtype | params | active/token | prefill 8×256 tok/s | prefill GFLOP/s | % of matmul | decode b1 tok/s | decode b1 GB/s | % of copy BW | decode b8 tok/s | b8 ÷ b1 | train 8×256 tok/s | train % of fp32 matmul | peak RSS MiB | train peak RSS MiB |");
        o.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var e = BenchEfficiency.Of(r, limits);
            o.WriteLine($"| {r.Variant.Name} | {r.DTypeName} | {N(r.Counts.Total)} | {N(r.Counts.ActivePerToken)} | {F(r.ForwardTokensPerS)} | {F(e.PrefillGflops)} | {P(e.PrefillFraction)} | " +
                        $"{F(r.DecodeB1TokensPerS)} | {F(e.DecodeB1GBps)} | {P(e.DecodeB1Fraction)} | {F(r.DecodeB8TokensPerS)} | {F(r.DecodeB8TokensPerS / r.DecodeB1TokensPerS)} | " +
                        $"{F(r.TrainTokensPerS)} | {P(e.TrainFraction)} | {F(r.PeakRssMib)} | {F(r.TrainPeakRssMib)} |");
        }
        foreach (var skip in s.Skipped)
            o.WriteLine($"| {skip.Variant} | {skip.DType} | skipped: one prefill would take ≈ {skip.EstimatedPrefillSeconds:F0} s at the measured matmul rate (--budget-seconds) |");
        o.WriteLine();
        var checks = BenchTargets.Check(results, limits, s.Machine);
        if (checks.Count > 0)
        {
            o.WriteLine("| target (sparse variant) | dtype | measured | goal | |");
            o.WriteLine("|---|---|---:|---:|---|");
            foreach (var c in checks)
                o.WriteLine($"| {c.Name} | {c.DType} | {Value(c.Value, c.Unit)} | ≥ {Value(c.Goal, c.Unit)} | {c.Status} |");
            o.WriteLine();
        }
        o.WriteLine("prefill: one forward over 8×256 random tokens, no cache. decode: greedy, 128 new tokens after a 16-token prompt with the KV cache; tok/s = new tokens (×batch) / wall time of the whole call. train: one Trainer step (forward, LM + router loss, backward, clip, AdamW) on 8×256 tokens, fp32 only" +
                    (s.GradientCheckpointing ? ", with gradient checkpointing (blocks recomputed in the backward; the recomputation is not counted as useful FLOPs)." : "."));
        o.WriteLine("GFLOP/s count useful work: 2 × active parameters × tokens + causal attention (×3 for training); GB/s = weight bytes one token touches × tok/s. Percentages are of the limits measured above in this run.");
        foreach (var variant in results.Select(r => r.Variant).DistinctBy(v => v.Name)) o.WriteLine($"- {variant.Name}: {variant.Definition}");
    }

    private static string L(double? load) => load?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static string F(double? value) => value is double v ? v.ToString(v >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture) : "—";

    private static string P(double? fraction) => fraction is double f ? (100 * f).ToString("F0", CultureInfo.InvariantCulture) + " %" : "—";

    private static string Value(double value, string unit) => unit == "fraction"
        ? P(value)
        : value.ToString("F2", CultureInfo.InvariantCulture) + unit;
}
