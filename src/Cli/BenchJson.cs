namespace ModuleService.Cli;

/// <summary>The bench output for scripts: one JSON object (top-level numbers are the first result's).</summary>
internal static class BenchJson
{
    public static string Serialize(BenchSettings s, MachineLimits? limits, IReadOnlyList<BenchResult> results)
    {
        var document = new Dictionary<string, object?>
        {
            ["config"] = s.ConfigName,
            ["config_path"] = s.ConfigPath,
            ["dtype"] = s.DTypes[0],
            ["dtypes"] = s.DTypes,
            ["threads"] = s.Threads,
            ["runs"] = s.Runs,
            ["n_layer"] = s.Layers,
            ["config_n_layer"] = s.ConfigLayers,
            ["seed"] = s.Seed,
            ["gradient_checkpointing"] = s.GradientCheckpointing,
            ["load_average_start"] = s.LoadAtStart,
            ["load_average_end"] = s.LoadAtEnd,
            ["machine"] = new Dictionary<string, object?>
            {
                ["cpu_model"] = s.Machine.CpuModel, ["cores"] = s.Machine.Cores, ["avx512f"] = s.Machine.Avx512F,
                ["avx512_bf16"] = s.Machine.Avx512Bf16, ["amx_bf16"] = s.Machine.AmxBf16,
            },
            ["limits"] = limits is null ? null : new Dictionary<string, object?>
            {
                ["matmul_n"] = limits.MatmulSize,
                ["fp32_matmul_gflops"] = Round(limits.Fp32MatmulGflops),
                ["bf16_matmul_gflops"] = Round(limits.Bf16MatmulGflops),
                ["copy_mib"] = limits.CopyBytes >> 20,
                ["copy_gbps"] = Round(limits.CopyGBps),
            },
            ["prefill_shape"] = new[] { BenchRunner.PrefillBatch, BenchRunner.PrefillTokens },
            ["decode_prompt_tokens"] = BenchRunner.PromptTokens,
            ["decode_new_tokens"] = BenchRunner.NewTokens,
        };
        foreach (var (key, value) in Numbers(results[0], limits)) document[key] = value;
        document["process_peak_rss_mib"] = ProcessStats.PeakRssMib();
        document["variants"] = results.Select(r => Numbers(r, limits).Prepend(new("definition", r.Variant.Definition)).Prepend(new("name", r.Variant.Name))
            .ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        document["skipped"] = s.Skipped.Select(k => new Dictionary<string, object?>
        {
            ["name"] = k.Variant, ["dtype"] = k.DType, ["estimated_prefill_s"] = Round(k.EstimatedPrefillSeconds),
        }).ToList();
        document["targets"] = BenchTargets.Check(results, limits, s.Machine).Select(c => new Dictionary<string, object?>
        {
            ["name"] = c.Name, ["dtype"] = c.DType, ["value"] = Round(c.Value), ["goal"] = c.Goal, ["unit"] = c.Unit, ["met"] = c.NotMeasurable is null ? c.Met : null, ["not_measurable"] = c.NotMeasurable,
        }).ToList();
        return JsonText.Serialize(document);
    }

    private static IEnumerable<KeyValuePair<string, object?>> Numbers(BenchResult r, MachineLimits? limits)
    {
        var e = BenchEfficiency.Of(r, limits);
        return
        [
            new("dtype", r.DTypeName),
            new("num_parameters", r.Counts.Total),
            new("active_params_per_token", r.Counts.ActivePerToken),
            new("forward_tokens_per_s", Round(r.ForwardTokensPerS)),
            new("decode_b1_tokens_per_s", Round(r.DecodeB1TokensPerS)),
            new("decode_b8_tokens_per_s", Round(r.DecodeB8TokensPerS)),
            new("train_tokens_per_s", Round(r.TrainTokensPerS)),
            new("forward_ms", Round(r.ForwardMs)),
            new("decode_b1_ms", Round(r.DecodeB1Ms)),
            new("decode_b8_ms", Round(r.DecodeB8Ms)),
            new("train_step_ms", Round(r.TrainStepMs)),
            new("prefill_useful_gflops", Round(e.PrefillGflops)),
            new("prefill_fraction_of_matmul", Round(e.PrefillFraction)),
            new("decode_bytes_per_token", e.DecodeBytesPerToken),
            new("decode_b1_gbps", Round(e.DecodeB1GBps)),
            new("decode_b1_fraction_of_bandwidth", Round(e.DecodeB1Fraction)),
            new("train_useful_gflops", Round(e.TrainGflops)),
            new("train_fraction_of_fp32_matmul", Round(e.TrainFraction)),
            new("peak_rss_mib", Round(r.PeakRssMib)),
            new("train_peak_rss_mib", Round(r.TrainPeakRssMib)),
            new("n_att_experts", r.Variant.Config.AttentionExperts),
            new("k_att", r.Variant.Config.AttentionTopK),
            new("att_hidden", r.Variant.Config.AttentionHidden),
            new("n_head", r.Variant.Config.Heads),
            new("n_mlp_experts", r.Variant.Config.MlpExperts),
            new("k_mlp", r.Variant.Config.MlpTopK),
            new("ffd_hidden", r.Variant.Config.MlpHidden),
            new("profile", BenchProfileReport.Json(r)),
        ];
    }

    private static double? Round(double? value) => value is double v ? Math.Round(v, 4) : null;
}
