using ModuleService.Model.Architecture;
using ModuleService.Model.Training;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Training.TrainingTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

/// <summary>
/// <see cref="TrainerOptions.GradientCheckpointing"/> recomputes each block in the backward; it must give the
/// gradients of the whole-graph backward, router losses included, and redraw the forward's dropout masks.
/// </summary>
[Collection(TrainingTestData.Collection)]
public sealed class GradientCheckpointingTests
{
    [Theory]
    [InlineData("all")]
    [InlineData("new-mlp")]
    public void WithoutRandomness_LossesAndGradientsEqualTheWholeGraphBackward(string mode)
    {
        using var scope = NewDisposeScope();
        var config = Tiny() with { Layers = 3 };
        var tokens = RandomTokens(400, config.VocabSize, seed: 5);
        var options = Options(steps: 3) with { AuxLossWeight = 0.05, LoadConcentrationWeight = 0.02 };
        TrainableSelection Selection() => mode == "all" ? TrainableSelection.All : TrainableSelection.NewExperts(null, 2);

        using var whole = NewModel(config, seed: 3);
        using var checkpointed = NewModel(config, seed: 3);
        using var plainTrainer = new Trainer(whole, tokens, options, Selection());
        using var checkpointedTrainer = new Trainer(checkpointed, tokens, options with { GradientCheckpointing = true }, Selection());

        // Three steps: the later ones start from weights the earlier gradients moved, so every step must agree.
        for (int step = 0; step < 3; step++)
        {
            var expected = plainTrainer.Step();
            var actual = checkpointedTrainer.Step();
            Assert.Equal(expected.LmLoss, actual.LmLoss, 5);
            Assert.Equal(expected.AuxLoss, actual.AuxLoss, 5);
            Assert.Equal(expected.ConcentrationLoss, actual.ConcentrationLoss, 5);
            Assert.Equal(expected.GradNorm, actual.GradNorm, 4);
            AssertSameGradients(whole, checkpointed, $"step {step}");
        }
    }

    [Fact]
    public void WithDropout_TheRecomputedBlocksDrawTheForwardsMasks()
    {
        using var scope = NewDisposeScope();
        var config = Tiny() with { EmbeddingDropout = 0.1, ResidualDropout = 0.2 };
        var tokens = RandomTokens(400, config.VocabSize, seed: 6);
        var options = Options(steps: 1) with { GradientCheckpointing = true, GradientClip = 0 };

        using var reference = NewModel(config, seed: 4);
        using var checkpointed = NewModel(config, seed: 4);
        using (var trainer = new Trainer(checkpointed, tokens, options)) trainer.Step();

        // The whole-graph forward of step 0 with the trainer's seeds: step seed for the embedding, one per block.
        reference.train();
        using var batch = new TokenBatcher(tokens, options.BatchSize, options.SequenceLength, options.Seed).Batch(0);
        manual_seed((long)DeterministicRandom.Bits(options.Seed, -1, 0));
        var hidden = reference.Transformer.Embed(batch.Inputs);
        var routerLoss = zeros(1).squeeze();
        for (int layer = 0; layer < config.Layers; layer++)
        {
            manual_seed((long)DeterministicRandom.Bits(options.Seed, Trainer.BlockSeedStream - layer, 0));
            (hidden, var routing) = reference.Transformer.Blocks[layer].forward(hidden, null, null, null);
            routerLoss = routerLoss + RoutingLosses.ForConfig(config, routing.Attention) + RoutingLosses.ForConfig(config, routing.Mlp);
        }
        var logits = reference.LmHead.call(reference.Transformer.FinalNorm(hidden));
        var lmLoss = nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), batch.Labels.reshape(-1));
        (lmLoss + options.AuxLossWeight * routerLoss).backward();

        AssertSameGradients(reference, checkpointed, "dropout step");
    }

    [Fact]
    public void Options_DefaultToTheWholeGraphBackward() => Assert.False(new TrainerOptions().GradientCheckpointing);

    private static void AssertSameGradients(ModuleFormerForCausalLM expected, ModuleFormerForCausalLM actual, string when)
    {
        var grads = expected.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        int compared = 0;
        foreach (var (name, parameter) in actual.named_parameters())
        {
            var want = grads[name];
            var got = parameter.grad;
            Assert.True((want is null) == (got is null), $"{when}, {name}: gradient present in only one of the runs");
            if (want is null || got is null) continue;
            double scale = Math.Max(want.abs().max().item<float>(), 1e-6f);
            double difference = (want - got).abs().max().item<float>();
            Assert.True(difference <= 1e-4 * scale + 1e-7, $"{when}, {name}: max |Δgrad| {difference:G3} (max |grad| {scale:G3})");
            compared++;
        }
        Assert.True(compared > 0, $"{when}: no gradients to compare");
    }
}
