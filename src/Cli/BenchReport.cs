using System.Globalization;

namespace ModuleService.Cli;

internal sealed record BenchSettings(string ConfigName, string ConfigPath, string DType, int Threads, int Runs, int Layers, int ConfigLayers, long Seed)
{
    public double? LoadAtStart { get; init; }
    public double? LoadAtEnd { get; init; }
}

/// <summary>The bench output: a markdown table for people, one JSON line for scripts.</summary>
internal static class BenchReport
{
    public static void WriteMarkdown(TextWriter o, BenchSettings s, IReadOnlyList<BenchResult> results)
    {
        string layers = s.Layers == s.ConfigLayers ? $"{s.Layers} layers" : $"{s.Layers} of {s.ConfigLayers} layers";
        o.WriteLine($"## modsvc bench: {s.ConfigName} ({layers}), {s.DType}, {s.Threads} threads, median of {s.Runs} runs");
        o.WriteLine();
        o.WriteLine($"1-min load average: {s.LoadAtStart?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} at start, {s.LoadAtEnd?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a"} at end (timings are only meaningful on an otherwise idle machine, load < cores).");
        o.WriteLine();
        o.WriteLine("| variant | params | active/token | prefill 8×256 tok/s | decode b1 tok/s | decode b8 tok/s | prefill ms | decode b1 ms | decode b8 ms | peak RSS MiB |");
        o.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            o.WriteLine($"| {r.Variant.Name} | {N(r.Counts.Total)} | {N(r.Counts.ActivePerToken)} | {F(r.ForwardTokensPerS)} | {F(r.DecodeB1TokensPerS)} | {F(r.DecodeB8TokensPerS)} | {F(r.ForwardMs)} | {F(r.DecodeB1Ms)} | {F(r.DecodeB8Ms)} | {(r.PeakRssMib is double m ? F(m) : "n/a")} |");
        o.WriteLine();
        o.WriteLine("prefill: one forward over 8×256 random tokens, no cache. decode: greedy, 128 new tokens after a 16-token prompt with the KV cache; tok/s = new tokens (×batch) / wall time of the whole call.");
        o.WriteLine("active/token: blocks with k of E experts, full routers, LayerNorms, + ln_f + lm_head (embedding lookup excluded).");
        foreach (var r in results) o.WriteLine($"- {r.Variant.Name}: {r.Variant.Definition}");
    }

    /// <summary>One line; the top-level numbers are the MoE variant's, every variant is also under "variants".</summary>
    public static void WriteJson(TextWriter o, BenchSettings s, IReadOnlyList<BenchResult> results)
    {
        var moe = results[0];
        var document = new Dictionary<string, object?>
        {
            ["config"] = s.ConfigName,
            ["config_path"] = s.ConfigPath,
            ["dtype"] = s.DType,
            ["threads"] = s.Threads,
            ["runs"] = s.Runs,
            ["n_layer"] = s.Layers,
            ["config_n_layer"] = s.ConfigLayers,
            ["seed"] = s.Seed,
            ["load_average_start"] = s.LoadAtStart,
            ["load_average_end"] = s.LoadAtEnd,
            ["prefill_shape"] = new[] { BenchRunner.PrefillBatch, BenchRunner.PrefillTokens },
            ["decode_prompt_tokens"] = BenchRunner.PromptTokens,
            ["decode_new_tokens"] = BenchRunner.NewTokens,
        };
        foreach (var (key, value) in Numbers(moe)) document[key] = value;
        document["process_peak_rss_mib"] = ProcessStats.PeakRssMib();
        document["variants"] = results.Select(r => Numbers(r).Prepend(new("definition", r.Variant.Definition)).Prepend(new("name", r.Variant.Name))
            .ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        o.WriteLine(JsonText.Serialize(document));
    }

    private static IEnumerable<KeyValuePair<string, object?>> Numbers(BenchResult r) =>
    [
        new("num_parameters", r.Counts.Total),
        new("active_params_per_token", r.Counts.ActivePerToken),
        new("forward_tokens_per_s", Round(r.ForwardTokensPerS)),
        new("decode_b1_tokens_per_s", Round(r.DecodeB1TokensPerS)),
        new("decode_b8_tokens_per_s", Round(r.DecodeB8TokensPerS)),
        new("forward_ms", Round(r.ForwardMs)),
        new("decode_b1_ms", Round(r.DecodeB1Ms)),
        new("decode_b8_ms", Round(r.DecodeB8Ms)),
        new("peak_rss_mib", r.PeakRssMib is double m ? Round(m) : null),
        new("n_att_experts", r.Variant.Config.AttentionExperts),
        new("k_att", r.Variant.Config.AttentionTopK),
        new("att_hidden", r.Variant.Config.AttentionHidden),
        new("n_head", r.Variant.Config.Heads),
        new("n_mlp_experts", r.Variant.Config.MlpExperts),
        new("k_mlp", r.Variant.Config.MlpTopK),
        new("ffd_hidden", r.Variant.Config.MlpHidden),
    ];

    private static double Round(double value) => Math.Round(value, 3);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString(value >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture);
}
