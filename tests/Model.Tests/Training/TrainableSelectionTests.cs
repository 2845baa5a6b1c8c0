using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;
using Xunit;
using static ModuleService.Model.Tests.Training.TrainingTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

[Collection(TrainingTestData.Collection)]
public sealed class TrainableSelectionTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("linear")]
    public void NewExperts_AfterAppendExperts_TrainsOnlyNewSlicesAndKeepsTheRestBitIdentical(string gateType)
    {
        using var scope = NewDisposeScope();
        var config = Tiny(gateType);
        using var original = NewModel(config, seed: 1);
        var (extended, stateDict) = ExpertSurgery.AppendExperts(config, Snapshot(original), ModuleKind.MlpExpert, 2, new Generator(5));
        using var model = ModelCheckpoint.FromStateDict(extended, stateDict);
        var before = Snapshot(model);
        var options = Options(steps: 6) with { WeightDecay = 0.1, AuxLossWeight = 0.01, LoadConcentrationWeight = 0.01 };
        using var trainer = new Trainer(model, RandomTokens(400, config.VocabSize, 3), options,
            TrainableSelection.NewExperts(firstNewAttentionExpert: null, firstNewMlpExpert: config.MlpExperts));

        trainer.Run();

        var sliced = Enumerable.Range(0, config.Layers)
            .SelectMany(layer => { var k = ModuleLayout.MoeKeys(extended, ModuleKind.MlpExpert, layer); return new[] { k.Experts, k.OutputExperts, k.Router }; })
            .ToHashSet();
        Assert.Equal(sliced.Order(), trainer.Trainable.Names.Order());
        Assert.Equal(sliced.Order(), trainer.Trainable.PartlyFrozen.Order());
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!sliced.Contains(name))
            {
                Assert.False(parameter.requires_grad, $"{name} should be frozen");
                AssertSameBytes(before[name], parameter, name);
                continue;
            }
            for (int row = 0; row < extended.MlpExperts; row++)
            {
                if (row < config.MlpExperts) AssertSameBytes(before[name][row], parameter[row], $"{name}[{row}]");
                else Assert.False(SameBytes(before[name][row], parameter[row]), $"{name}[{row}] is new and should have trained");
            }
        }
    }

    [Fact]
    public void Parts_MapNamesToWholeTensorsAndExpertRows()
    {
        var config = Tiny();

        var plan = TrainableSelection.Parts(["layer0.mlp.expert3", "layer1.attn.expert0", "layer1.attn.expert2", "layer1.shared", "embedding", "head"]).Plan(config);

        Assert.Equal([3], plan["transformer.h.0.mlpf.experts.weight"]!.Order());
        Assert.Equal([3], plan["transformer.h.0.mlpf.gate.w_gate.3.weight"]!.Order());
        Assert.Equal([0, 2], plan["transformer.h.1.attn.q_proj.output_experts.weight"]!.Order());
        Assert.Null(plan["transformer.h.1.ln_1.weight"]);
        Assert.Null(plan["transformer.h.1.mlpf.gate.w_gate.0.weight"]);
        Assert.Null(plan["transformer.h.1.attn.k_proj.bias"]);
        Assert.Null(plan["transformer.wte.weight"]);
        Assert.Null(plan["lm_head.weight"]);
        Assert.Null(plan["transformer.ln_f.bias"]);
        Assert.False(plan.ContainsKey("transformer.h.0.ln_1.weight"));
        Assert.False(plan.ContainsKey("transformer.h.0.mlpf.gate.w_gate.0.weight"));
        Assert.False(plan.ContainsKey("transformer.h.0.attn.q_proj.experts.weight"));
    }

    [Fact]
    public void Parts_FreezeEverythingElseAndKeepOptimizerStateOffFrozenTensors()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 2);

        using var trainable = TrainableSelection.Parts(["layer1.mlp.expert1", "head"]).Apply(model);

        Assert.Equal(["lm_head.weight", "transformer.h.1.mlpf.experts.weight", "transformer.h.1.mlpf.gate.w_gate.3.weight",
            "transformer.h.1.mlpf.output_experts.weight", "transformer.ln_f.bias", "transformer.ln_f.weight"], trainable.Names.Order());
        var expertElements = 2 * config.HiddenSize * config.MlpHidden + config.GatingSize;
        Assert.Equal(expertElements + 2 * config.HiddenSize + config.VocabSize * config.HiddenSize, trainable.TrainableElements);
        Assert.Equal(model.parameters().Sum(p => p.numel()) - trainable.TrainableElements, trainable.FrozenElements);
        Assert.All(model.named_parameters().Where(p => !trainable.Names.Contains(p.name)), p => Assert.False(p.parameter.requires_grad));
    }

    [Theory]
    [InlineData("layer2.shared")]
    [InlineData("layer0.mlp.expert4")]
    [InlineData("layer0.moe.expert1")]
    [InlineData("lm_head")]
    public void Parts_RejectNamesTheModelDoesNotHave(string name)
    {
        Assert.Throws<ArgumentException>(() => TrainableSelection.Parts([name]).Plan(Tiny()));
    }

    [Fact]
    public void NewExperts_RejectsAFirstIndexWithNoNewExperts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainableSelection.NewExperts(null, 4).Plan(Tiny()));
    }
}
