using System.Text.Json;
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
    public void LayersOverrideAndBf16()
    {
        var result = CliRun.Command(BenchCommand.Run, "--config", CliRun.BenchConfig("tiny.json"), "--runs", "1", "--json", "--layers", "1", "--dtype", "bf16", "--threads", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = result.LastLineJson();
        Assert.Equal(1, json.RootElement.GetProperty("n_layer").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("config_n_layer").GetInt32());
        Assert.Equal("bf16", json.RootElement.GetProperty("dtype").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("threads").GetInt32());
        Assert.Single(json.RootElement.GetProperty("variants").EnumerateArray());
    }

    private static (int AttHidden, int Heads, int FfdHidden) Shape(JsonElement v) =>
        (v.GetProperty("att_hidden").GetInt32(), v.GetProperty("n_head").GetInt32(), v.GetProperty("ffd_hidden").GetInt32());
}
