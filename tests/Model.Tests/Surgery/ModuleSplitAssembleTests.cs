using ModuleService.Model.Surgery;
using Xunit;
using static ModuleService.Model.Tests.Surgery.SurgeryTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Surgery;

public sealed class ModuleSplitAssembleTests
{
    [Theory]
    [MemberData(nameof(Variants), MemberType = typeof(SurgeryTestData))]
    public void SplitThenAssemble_IsBitIdentical(string variant)
    {
        using var scope = NewDisposeScope();
        var config = Config(variant);
        var stateDict = RandomStateDict(config, withBuffers: true);

        var set = ModuleSplitter.Split(config, stateDict);
        var (assembledConfig, assembled) = ModuleAssembler.Assemble(set.Family, set.Parts);

        Assert.Equal(config, assembledConfig);
        AssertSameStateDict(WithoutBuffers(stateDict), assembled);
        Assert.Equal(ModuleLayout.StateDictShapes(config).Keys, assembled.Keys);
    }

    [Fact]
    public void SplitThenAssemble_OfFixtureCheckpoint_IsBitIdentical()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = ReadSafetensors(Path.Combine(FixtureDirectory, "model.safetensors"));

        var set = ModuleSplitter.Split(config, stateDict);
        var (_, assembled) = ModuleAssembler.Assemble(set.Family, set.Parts);

        Assert.Equal(40, assembled.Count); // 44 fixture entries minus attn.mask and attn.cum_weight of 2 layers
        AssertSameStateDict(WithoutBuffers(stateDict), assembled);
    }

    [Theory]
    [MemberData(nameof(Variants), MemberType = typeof(SurgeryTestData))]
    public void Split_GivesNamedPartsWithRelativeSlices(string variant)
    {
        using var scope = NewDisposeScope();
        var config = Config(variant);
        var stateDict = RandomStateDict(config);

        var set = ModuleSplitter.Split(config, stateDict);

        Assert.Equal(2 + config.Layers * (1 + config.AttentionExperts + config.MlpExperts), set.Parts.Count);
        Assert.Equal("embedding", set.Parts[0].Name);
        Assert.Equal("head", set.Parts[^1].Name);
        var expert = set.Find("layer1.attn.expert3")!;
        Assert.Equal((ModuleKind.AttentionExpert, 1, 3), (expert.Kind, expert.Layer!.Value, expert.ExpertIndex!.Value));
        long routerInput = config.GateType == "mlp" ? config.GatingSize : config.HiddenSize;
        Assert.Equal(new long[] { config.HiddenSize, config.AttentionHidden }, expert.Tensors["experts.weight"].shape);
        Assert.Equal(new long[] { config.AttentionHidden, config.HiddenSize }, expert.Tensors["output_experts.weight"].shape);
        Assert.Equal(new[] { routerInput }, expert.Tensors["router.weight"].shape);
        var router = config.GateType == "mlp" ? "gate.w_gate.3.weight" : "gate.w_gate.weight";
        AssertBitIdentical(stateDict["transformer.h.1.attn.q_proj.experts.weight"][3], expert.Tensors["experts.weight"], "Wq slice");
        AssertBitIdentical(stateDict[$"transformer.h.1.attn.q_proj.{router}"][3], expert.Tensors["router.weight"], "router row");
        var mlp = set.Find("layer0.mlp.expert7")!;
        AssertBitIdentical(stateDict["transformer.h.0.mlpf.output_experts.weight"][7], mlp.Tensors["output_experts.weight"], "W2 slice");

        var shared = set.Find("layer1.shared")!;
        Assert.Equal(!config.IdentityKeyValue, shared.Tensors.ContainsKey("attn.k_proj.weight"));
        Assert.Equal(config.GateType == "mlp", shared.Tensors.ContainsKey("mlpf.gate.w_gate.0.weight"));
        Assert.Equal(new[] { "transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight" }, set.Find("head")!.Tensors.Keys);
    }

    [Fact]
    public void Split_PartsOutliveTheInput()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = RandomStateDict(config);
        var reference = RandomStateDict(config);

        var set = ModuleSplitter.Split(config, stateDict);
        foreach (var tensor in stateDict.Values) tensor.Dispose();
        var (_, assembled) = ModuleAssembler.Assemble(set.Family, set.Parts);

        AssertSameStateDict(reference, assembled);
    }

    [Fact]
    public void Split_RejectsUnknownAndMissingKeys()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var extra = RandomStateDict(config);
        extra["transformer.h.0.attn.rotary.inv_freq"] = zeros(4);
        var missing = RandomStateDict(config);
        missing.Remove("transformer.h.1.ln_2.bias");

        Assert.Equal("transformer.h.0.attn.rotary.inv_freq",
            Assert.Throws<ModuleSurgeryException>(() => ModuleSplitter.Split(config, extra)).Part);
        Assert.Equal("transformer.h.1.ln_2.bias",
            Assert.Throws<ModuleSurgeryException>(() => ModuleSplitter.Split(config, missing)).Part);
    }

    [Fact]
    public void Assemble_PermutedExpertOrder_PermutesTensors()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = RandomStateDict(config);
        var set = ModuleSplitter.Split(config, stateDict);

        var (_, assembled) = ModuleAssembler.Assemble(set.Family, WithPermutedLayer1Attention(set));

        for (var position = 0; position < PermutedAttention.Length; position++)
        {
            foreach (var key in new[] { "experts.weight", "output_experts.weight", "gate.w_gate.3.weight" })
            {
                var full = $"transformer.h.1.attn.q_proj.{key}";
                AssertBitIdentical(stateDict[full][PermutedAttention[position]], assembled[full][position], $"{full}[{position}]");
            }
        }
        foreach (var key in stateDict.Keys.Where(key => !key.StartsWith("transformer.h.1.attn.q_proj.") || key.Contains("w_gate.0")))
            AssertBitIdentical(stateDict[key], assembled[key], key);
    }

    [Fact]
    public void Assemble_ExtraExpertsFromSecondModel_GrowsExpertCount()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var first = ModuleSplitter.Split(config, RandomStateDict(config, seed: 1));
        var second = ModuleSplitter.Split(config, RandomStateDict(config, seed: 2));

        var (assembledConfig, assembled) = ModuleAssembler.Assemble(config, WithBorrowedMlpExperts(first, second));

        Assert.Equal(config.MlpExperts + 2, assembledConfig.MlpExperts);
        Assert.Equal(config.AttentionExperts, assembledConfig.AttentionExperts);
        Assert.Equal(new long[] { 10, config.HiddenSize, config.MlpHidden }, assembled["transformer.h.0.mlpf.experts.weight"].shape);
        AssertBitIdentical(second.Find("layer1.mlp.expert1")!.Tensors["router.weight"],
            assembled["transformer.h.1.mlpf.gate.w_gate.3.weight"][9], "borrowed router row");
    }
}
