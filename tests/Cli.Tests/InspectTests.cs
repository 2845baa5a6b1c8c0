using System.Text.Json;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using Xunit;

namespace ModuleService.Cli.Tests;

/// <summary>Parameter counts against the fixtures' recorded numbers, the spec §7.3 table and real modules.</summary>
public sealed class InspectTests
{
    public static TheoryData<string> Fixtures() => new("reference-tiny", "reference-tiny-molmlike");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void InspectCountsMatchFixture(string fixture)
    {
        var dir = CliRun.Fixture(fixture);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "fixture.json")));
        var result = CliRun.Command(InspectCommand.Run, "--checkpoint", dir, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var output = result.Json();
        var root = output.RootElement;
        Assert.Equal(expected.RootElement.GetProperty("num_parameters").GetInt64(), root.GetProperty("num_parameters").GetInt64());
        Assert.Equal(expected.RootElement.GetProperty("active_params_per_token").GetInt64(), root.GetProperty("active_params_per_token").GetInt64());
        // The safetensors header was read and agrees with the config.
        Assert.True(root.GetProperty("weights").GetProperty("checked").GetBoolean());
        Assert.Equal(root.GetProperty("num_parameters").GetInt64(), root.GetProperty("weights").GetProperty("parameters").GetInt64());
        Assert.Equal(4, root.GetProperty("weights").GetProperty("buffers").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TextOutputAndVerifyWork(string fixture)
    {
        var dir = CliRun.Fixture(fixture);
        var text = CliRun.Command(InspectCommand.Run, "--checkpoint", dir, "--verify");
        Assert.True(text.ExitCode == 0, text.Stderr);
        long total = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "fixture.json"))).RootElement.GetProperty("num_parameters").GetInt64();
        Assert.Contains(total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), text.Stdout);
        Assert.Contains("attention experts (Wq, Wo)", text.Stdout);
        Assert.Contains("MLP experts (W1, W2)", text.Stdout);
        Assert.Contains("loaded in full", text.Stdout);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FormulaEqualsBuiltModule(string fixture)
    {
        var config = ModuleFormerConfig.Load(Path.Combine(CliRun.Fixture(fixture), "config.json"));
        using var model = new ModuleFormerForCausalLM(config);
        Assert.Equal(ParameterCounts.Count(model), ParameterCounts.For(config).Total);
    }

    [Fact]
    public void MolmCountsMatchSpecTable()
    {
        // Spec §7.3: MoLM-350M-4B, MoLM-700M-4B (k = 4) and MoLM-700M-8B (48 layers).
        var molm350 = ModuleFormerConfig.Load(CliRun.BenchConfig("molm-350m-4b.json"));
        var counts = ParameterCounts.For(molm350);
        Assert.Equal(4_142_526_464, counts.Total);
        Assert.Equal(314_980_352, counts.ActiveBlocksAndFinalNorm);
        Assert.Equal(417_984_512, counts.ActiveIncludingEmbedding);
        Assert.Equal(366_482_432, counts.ActivePerToken);                 // "≈ 366 M" with lm_head only

        var molm700k4 = ParameterCounts.For(molm350 with { AttentionTopK = 4, MlpTopK = 4 });
        Assert.Equal(4_142_526_464, molm700k4.Total);
        Assert.Equal(616_970_240, molm700k4.ActiveBlocksAndFinalNorm);
        Assert.Equal(719_974_400, molm700k4.ActiveIncludingEmbedding);

        var molm8b = ParameterCounts.For(molm350 with { Layers = 48 });
        Assert.Equal(8_182_046_720, molm8b.Total);
        Assert.Equal(629_958_656, molm8b.ActiveBlocksAndFinalNorm);
        Assert.Equal(732_962_816, molm8b.ActiveIncludingEmbedding);
    }

    [Fact]
    public void MolmLayerFormulaEqualsBuiltModule()
    {
        // One MoLM-shaped layer with a small vocabulary keeps the check cheap (experts are allocated but untouched).
        var config = ModuleFormerConfig.Load(CliRun.BenchConfig("molm-350m-4b.json")) with { Layers = 1, VocabSize = 64 };
        using var model = new ModuleFormerForCausalLM(config);
        Assert.Equal(ParameterCounts.Count(model), ParameterCounts.For(config).Total);
    }
}
