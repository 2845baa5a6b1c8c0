using ModuleService.Model.Surgery;
using Xunit;
using static ModuleService.Model.Tests.Surgery.SurgeryTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Surgery;

public sealed class ExpertSurgeryTests
{
    [Theory]
    [MemberData(nameof(Variants), MemberType = typeof(SurgeryTestData))]
    public void DropExperts_KeepsTheChosenSlicesInOrder(string variant)
    {
        using var scope = NewDisposeScope();
        var config = Config(variant);
        var stateDict = RandomStateDict(config, withBuffers: true);
        int[][] keep = [[3, 1], [0, 2]];

        var (dropped, droppedDict) = ExpertSurgery.DropExperts(config, stateDict, ModuleKind.AttentionExpert, keep);

        Assert.Equal(config with { AttentionExperts = 2 }, dropped);
        var before = ModuleSplitter.Split(config, stateDict);
        var after = ModuleSplitter.Split(dropped, droppedDict);
        for (var layer = 0; layer < config.Layers; layer++)
        {
            for (var position = 0; position < keep[layer].Length; position++)
            {
                var kept = after.Find($"layer{layer}.attn.expert{position}")!;
                var original = before.Find($"layer{layer}.attn.expert{keep[layer][position]}")!;
                AssertSameStateDict(original.Tensors, kept.Tensors);
            }
        }
        foreach (var key in droppedDict.Keys.Where(key => !key.Contains("attn.q_proj.") || key.Contains("w_gate.0")))
            AssertBitIdentical(stateDict[key], droppedDict[key], key);
        Assert.DoesNotContain(droppedDict.Keys, key => key.EndsWith("attn.mask") || key.EndsWith("attn.cum_weight"));
    }

    [Fact]
    public void SelectExperts_UsesSameIndicesInEveryLayer()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = RandomStateDict(config);

        var (selected, selectedDict) = ExpertSurgery.SelectExperts(config, stateDict, ModuleKind.MlpExpert, [7, 0, 4]);

        Assert.Equal(3, selected.MlpExperts);
        for (var layer = 0; layer < config.Layers; layer++)
        {
            var key = $"transformer.h.{layer}.mlpf.gate.w_gate.3.weight";
            AssertBitIdentical(stateDict[key][7], selectedDict[key][0], key);
            AssertBitIdentical(stateDict[key][4], selectedDict[key][2], key);
        }
    }

    [Theory]
    [InlineData(new[] { 0 }, new[] { 1 }, "layer0.attn", "k is 2")]
    [InlineData(new[] { 0, 1 }, new[] { 1, 2, 3 }, "layer1.attn", "layer0 keeps 2")]
    [InlineData(new[] { 0, 4 }, new[] { 1, 2 }, "layer0.attn", "outside")]
    [InlineData(new[] { 0, 1 }, new[] { 2, 2 }, "layer1.attn", "repeated")]
    public void DropExperts_InvalidKeepList_NamesLayerGroup(int[] layer0, int[] layer1, string group, string problemWord)
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var error = Assert.Throws<ModuleSurgeryException>(() =>
            ExpertSurgery.DropExperts(config, RandomStateDict(config), ModuleKind.AttentionExpert, [layer0, layer1]));
        Assert.Equal(group, error.Part);
        Assert.Contains(problemWord, error.Problem);
    }

    [Theory]
    [MemberData(nameof(Variants), MemberType = typeof(SurgeryTestData))]
    public void AppendExperts_KeepsOldExpertsAndAddsInitialisedOnes(string variant)
    {
        using var scope = NewDisposeScope();
        var config = Config(variant);
        var stateDict = RandomStateDict(config);

        var (appended, appendedDict) = ExpertSurgery.AppendExperts(config, stateDict, ModuleKind.MlpExpert, 3, new Generator(11));

        Assert.Equal(config with { MlpExperts = 11 }, appended);
        Assert.Equal(ModuleLayout.StateDictShapes(appended).Keys, appendedDict.Keys);
        long d = config.HiddenSize, f = config.MlpHidden;
        long routerInput = config.GateType == "mlp" ? config.GatingSize : d;
        var router = config.GateType == "mlp" ? "gate.w_gate.3.weight" : "gate.w_gate.weight";
        var routerRows = new List<Tensor>();
        for (var layer = 0; layer < config.Layers; layer++)
        {
            var moe = $"transformer.h.{layer}.mlpf.";
            Assert.Equal(new long[] { 11, d, f }, appendedDict[moe + "experts.weight"].shape);
            Assert.Equal(new long[] { 11, f, d }, appendedDict[moe + "output_experts.weight"].shape);
            Assert.Equal(new long[] { 11, routerInput }, appendedDict[moe + router].shape);
            foreach (var key in new[] { "experts.weight", "output_experts.weight", router })
                AssertBitIdentical(stateDict[moe + key], appendedDict[moe + key][..8], moe + key);
            Assert.True(appendedDict[moe + "experts.weight"][8..].abs().max().item<float>() <= 1.0f / d);
            Assert.True(appendedDict[moe + "output_experts.weight"][8..].abs().max().item<float>() <= 1.0f / f);
            routerRows.Add(appendedDict[moe + router][8..]);
        }
        var routerStd = cat(routerRows, 0).std().item<float>();
        Assert.InRange(routerStd, 0.7 * config.InitializerRange, 1.3 * config.InitializerRange);
        foreach (var key in stateDict.Keys.Where(key => !key.Contains(".mlpf.") || key.Contains("w_gate.0")))
            AssertBitIdentical(stateDict[key], appendedDict[key], key);
    }

    [Fact]
    public void AppendExperts_SameSeed_SameWeights_InCheckpointDtype()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = RandomStateDict(config, dtype: ScalarType.BFloat16);

        var (_, first) = ExpertSurgery.AppendExperts(config, stateDict, ModuleKind.AttentionExpert, 2, new Generator(5));
        var (_, second) = ExpertSurgery.AppendExperts(config, stateDict, ModuleKind.AttentionExpert, 2, new Generator(5));

        AssertSameStateDict(first, second);
        Assert.All(first.Values, tensor => Assert.Equal(ScalarType.BFloat16, tensor.dtype));
        Assert.Equal(6, first["transformer.h.1.attn.q_proj.output_experts.weight"].shape[0]);
    }

    [Fact]
    public void Surgery_LeavesInputsUntouched()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var stateDict = RandomStateDict(config, withBuffers: true);
        var snapshot = stateDict.ToDictionary(pair => pair.Key, pair => pair.Value.clone());

        ExpertSurgery.AppendExperts(config, stateDict, ModuleKind.AttentionExpert, 1, new Generator(3));
        ExpertSurgery.SelectExperts(config, stateDict, ModuleKind.MlpExpert, [1, 2]);
        var set = ModuleSplitter.Split(config, stateDict);
        ModuleAssembler.Assemble(set.Family, set.Parts);

        AssertSameStateDict(snapshot, stateDict);
    }
}
