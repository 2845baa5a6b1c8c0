using System.Text.Json;
using ModuleService.Model;
using Xunit;

namespace ModuleService.Cli.Tests;

public sealed class BenchTests
{
    private static readonly string[] RequiredKeys =
        ["config", "dtype", "threads", "num_parameters", "active_params_per_token",
         "forward_tokens_per_s", "decode_b1_tokens_per_s", "decode_b8_tokens_per_s", "peak_rss_mib", "variants"];

    [Fact]
    public void TinyBenchPrintsTableAndJsonWithDenseBaselines()
    {
        var result = CliRun.Command(BenchCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--runs", "1", "--json", "--dense-baselines");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("## modsvc bench: tiny", result.Stdout);
        Assert.Contains("| moe |", result.Stdout);
        Assert.Contains("[bench]", result.Stderr);                            // progress goes to stderr only
        Assert.DoesNotContain("[bench]", result.Stdout);
        using var json = result.LastLineJson();
        var root = json.RootElement;
        foreach (var key in RequiredKeys) Assert.True(root.TryGetProperty(key, out _), $"missing key {key}");
        Assert.Equal("tiny", root.GetProperty("config").GetString());
        Assert.Equal("fp32", root.GetProperty("dtype").GetString());
        Assert.Equal(2, root.GetProperty("threads").GetInt32());
        Assert.Equal(378_496, root.GetProperty("num_parameters").GetInt64());
        Assert.Equal(132_736, root.GetProperty("active_params_per_token").GetInt64());
        foreach (var key in new[] { "forward_tokens_per_s", "decode_b1_tokens_per_s", "decode_b8_tokens_per_s", "peak_rss_mib" })
            Assert.True(root.GetProperty(key).GetDouble() > 0, key);

        var variants = root.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(["moe", "dense-equal-active", "dense-equal-total"], variants.Select(v => v.GetProperty("name").GetString()));
        // tiny: A = 32, H = 2, F = 128, E_att/k_att = 4/2, E_mlp/k_mlp = 8/2.
        Assert.Equal((64, 4, 256), Shape(variants[1]));
        Assert.Equal((128, 8, 1024), Shape(variants[2]));
        Assert.All(variants, v => Assert.True(v.GetProperty("decode_b8_tokens_per_s").GetDouble() > 0));
    }

    [Fact]
    public void LimitsTrainingAndTwoDtypesInOneRun()
    {
        var output = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            var result = CliRun.Command(BenchCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--runs", "1", "--json", "--layers", "1",
                "--dtype", "fp32,bf16", "--threads", "1", "--limits", "--matmul-size", "64", "--train", "--output", output);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("| moe | bf16 |", result.Stdout);
            Assert.Contains("decode b8 ÷ decode b1 tok/s", result.Stdout);
            using var json = result.LastLineJson();
            var root = json.RootElement;
            Assert.Equal(File.ReadAllText(output).TrimEnd(), result.Stdout.TrimEnd().Split('\n')[^1]);
            Assert.Equal(1, root.GetProperty("n_layer").GetInt32());
            Assert.Equal(2, root.GetProperty("config_n_layer").GetInt32());
            Assert.Equal(["fp32", "bf16"], root.GetProperty("dtypes").EnumerateArray().Select(d => d.GetString()));
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            var limits = root.GetProperty("limits");
            foreach (var key in new[] { "fp32_matmul_gflops", "bf16_matmul_gflops", "copy_gbps" })
                Assert.True(limits.GetProperty(key).GetDouble() > 0, key);

            var variants = root.GetProperty("variants").EnumerateArray().ToList();
            Assert.Equal(["fp32", "bf16"], variants.Select(v => v.GetProperty("dtype").GetString()));
            var (fp32, bf16) = (variants[0], variants[1]);
            foreach (var key in new[] { "train_tokens_per_s", "prefill_fraction_of_matmul", "decode_b1_fraction_of_bandwidth", "train_fraction_of_fp32_matmul" })
                Assert.True(fp32.GetProperty(key).GetDouble() > 0, key);
            Assert.Equal(JsonValueKind.Null, bf16.GetProperty("train_tokens_per_s").ValueKind);   // the trainer needs fp32
            // One layer of tiny: 82,816 active parameters and a 64-wide embedding row, 4 bytes each in fp32, 2 in bf16.
            Assert.Equal(4.0 * (82_816 + 64), fp32.GetProperty("decode_bytes_per_token").GetDouble());
            Assert.Equal(2.0 * (82_816 + 64), bf16.GetProperty("decode_bytes_per_token").GetDouble());
            Assert.Contains(root.GetProperty("targets").EnumerateArray(), t => t.GetProperty("name").GetString()!.StartsWith("prefill useful FLOP/s"));
            // bf16 goals are judged only where bf16 is native; emulated, they are reported as not measurable.
            bool nativeBf16 = root.GetProperty("machine").GetProperty("avx512_bf16").GetBoolean();
            foreach (var target in root.GetProperty("targets").EnumerateArray())
            {
                bool judged = target.GetProperty("dtype").GetString() == "fp32" || nativeBf16;
                Assert.Equal(judged ? JsonValueKind.Null : JsonValueKind.String, target.GetProperty("not_measurable").ValueKind);
                Assert.Equal(judged, target.GetProperty("met").ValueKind is JsonValueKind.True or JsonValueKind.False);
            }
            if (!nativeBf16) Assert.Contains("| not measurable: bf16 is emulated on this CPU (no AVX512-BF16) |", result.Stdout);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void GradientCheckpointingTimesTheCheckpointedTrainingStep()
    {
        var result = CliRun.Command(BenchCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--runs", "1", "--layers", "1",
            "--threads", "1", "--json", "--train", "--gradient-checkpointing");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("with gradient checkpointing", result.Stdout);
        using var json = result.LastLineJson();
        Assert.True(json.RootElement.GetProperty("gradient_checkpointing").GetBoolean());
        Assert.True(json.RootElement.GetProperty("variants")[0].GetProperty("train_tokens_per_s").GetDouble() > 0);
    }

    [Fact]
    public void ProfileSplitsPrefillAndDecodeIntoEveryComponent()
    {
        var result = CliRun.Command(BenchCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--runs", "1", "--layers", "1",
            "--threads", "1", "--json", "--profile");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var components = BenchProfileComponents.All.Select(c => c.Path).Append(BenchProfileComponents.Other).ToList();
        foreach (var mode in new[] { "prefill 8×256", "decode b1", "decode b8" })
            Assert.Contains($"**moe fp32, {mode}**", result.Stdout);
        foreach (var label in BenchProfileComponents.All.Select(c => c.Label))
            Assert.Equal(3, CountOf(result.Stdout, $"| {label} |"));
        using var json = result.LastLineJson();
        var profile = json.RootElement.GetProperty("variants")[0].GetProperty("profile");
        Assert.Equal(["prefill", "decode_b1", "decode_b8"], profile.EnumerateObject().Select(p => p.Name));
        foreach (var call in profile.EnumerateObject().Select(p => p.Value))
        {
            double total = call.GetProperty("total_ms").GetDouble();
            var rows = call.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("ms").GetDouble());
            Assert.Equal(components, rows.Keys);
            Assert.All(rows, row => Assert.True(row.Value >= 0, $"{row.Key}: {row.Value} ms"));
            double timed = rows.Where(row => row.Key != BenchProfileComponents.Other).Sum(row => row.Value);
            Assert.True(timed <= total * 1.001 + 0.001, $"components sum to {timed} ms, the call took {total} ms");
            // tiny has k/v Linears (n_head 2 rules out identity K/V), so each of these parts runs in every call.
            foreach (var part in new[] { "embedding", "layer_norm", "attention.router", "attention.experts", "attention.kv_projections",
                                         "attention.stick_breaking", "mlp.dispatch", "mlp.experts", "mlp.combine", "lm_head" })
                Assert.True(rows[part] > 0, $"{part} was not timed");
        }
        var decode = profile.GetProperty("decode_b1");
        Assert.True(decode.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "attention.kv_cache").GetProperty("ms").GetDouble() > 0);
        Assert.Equal(BenchProfile.DecodePromptTokens + (BenchProfile.DecodeSteps + 3) / 2.0, decode.GetProperty("mean_context").GetDouble());
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Fact]
    public void WorkModelCountsCausalAttention()
    {
        var config = ModuleFormerConfig.Load(CliRun.BenchConfig("tiny.json"));
        var counts = ParameterCounts.For(config);
        // 2 layers × k 2 × att_hidden 32 × 4 FLOPs × (1 + 2 + … + 8) pairs, for one row of 8 tokens.
        Assert.Equal(2 * 2 * 32 * 4.0 * 36, BenchWork.AttentionFlops(config, 1, 8));
        Assert.Equal(2.0 * counts.ActivePerToken * 8 + 2 * 2 * 32 * 4.0 * 36, BenchWork.ForwardFlops(config, counts, 1, 8));
        Assert.Equal(3 * BenchWork.ForwardFlops(config, counts, 8, 256), BenchWork.TrainingFlops(config, counts, 8, 256));
    }

    private static (int AttHidden, int Heads, int FfdHidden) Shape(JsonElement v) =>
        (v.GetProperty("att_hidden").GetInt32(), v.GetProperty("n_head").GetInt32(), v.GetProperty("ffd_hidden").GetInt32());
}
