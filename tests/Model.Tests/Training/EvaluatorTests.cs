using ModuleService.Model.Architecture;
using ModuleService.Model.Training;
using Xunit;
using static ModuleService.Model.Tests.Training.TrainingTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Training;

[Collection(TrainingTestData.Collection)]
public sealed class EvaluatorTests
{
    [Fact]
    public void Perplexity_EqualsExpOfCrossEntropyOverTheSameWindows()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 3);
        model.eval();
        var tokens = RandomTokens(50, config.VocabSize, seed: 6);

        var result = Evaluator.Evaluate(model, tokens, sequenceLength: 16, batchSize: 2);

        // Windows [0, 17), [16, 33), [32, 49) predict 16 tokens each; the tail [48, 50) predicts one.
        double totalNll = 0;
        using (no_grad())
        {
            foreach (var (start, length) in new[] { (0, 17), (16, 17), (32, 17), (48, 2) })
            {
                var ids = tensor(tokens.Skip(start).Take(length).Select(t => (long)t).ToArray()).unsqueeze(0); // (1, T+1)
                var loss = LanguageModelLoss.CrossEntropy(model.forward(ids).Logits, ids);
                totalNll += loss.item<float>() * (length - 1);
            }
        }
        Assert.Equal(49, result.Tokens);
        Assert.Equal(Math.Exp(totalNll / 49), result.Perplexity, 1e-4);
        Assert.Equal(totalNll / 49, result.MeanNll, 1e-5);
    }

    [Fact]
    public void Perplexity_OfOneWindowIsExpOfCrossEntropy()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 3);
        var tokens = RandomTokens(40, config.VocabSize, seed: 6);

        var result = Evaluator.Evaluate(model, tokens, sequenceLength: 16, maxTokens: 16, utf8Bytes: 64);

        var ids = tensor(tokens.Take(17).Select(t => (long)t).ToArray()).unsqueeze(0);  // (1, 17)
        float crossEntropy;
        using (no_grad()) crossEntropy = LanguageModelLoss.CrossEntropy(model.forward(ids).Logits, ids).item<float>();
        Assert.Equal(Math.Exp(crossEntropy), result.Perplexity, 1e-4);
        Assert.Equal(16 * crossEntropy / (Math.Log(2) * 64), result.BitsPerByte!.Value, 1e-5);
    }

    [Fact]
    public void Usage_CountsEveryTokenKTimesPerLayerAndKind()
    {
        using var scope = NewDisposeScope();
        var config = Tiny() with { MlpExperts = 8, MlpTopK = 3 };
        using var model = NewModel(config, seed: 4);
        model.train();

        var result = Evaluator.Evaluate(model, RandomTokens(70, config.VocabSize, seed: 7), sequenceLength: 16, batchSize: 3);

        Assert.True(model.training, "evaluation must restore training mode");
        Assert.Equal(config.Layers, result.Usage.Count);
        foreach (var layer in result.Usage)
        {
            Assert.Equal(69 * config.AttentionTopK, layer.Attention.SelectionCounts.Sum());
            Assert.Equal(69 * config.MlpTopK, layer.Mlp.SelectionCounts.Sum());
            Assert.Equal(8, layer.Mlp.Experts);
            Assert.Equal(1.0, layer.Mlp.Share.Sum(), 12);
            Assert.Equal(1.0, layer.Mlp.MeanProbability.Sum(), 5);
            Assert.InRange(layer.Mlp.EffectiveExperts, 1.0, 8.0 + 1e-9);
            Assert.Equal(Math.Exp(layer.Mlp.Entropy), layer.Mlp.EffectiveExperts, 12);
            Assert.All(layer.Mlp.MeanGate, gate => Assert.InRange(gate, 0.0, 1.0));
            Assert.Equal(layer.Mlp.SelectionCounts.Max(), layer.Mlp.SelectionCounts[layer.Mlp.Ranking[0]]);
        }
    }

    [Fact]
    public void Usage_WithAnExpertMaskNeverCountsMaskedExperts()
    {
        using var scope = NewDisposeScope();
        var config = Tiny();
        using var model = NewModel(config, seed: 4);
        var keep = Enumerable.Repeat<IReadOnlyList<int>>([0, 2], config.Layers).ToList();

        var result = Evaluator.Evaluate(model, RandomTokens(40, config.VocabSize, seed: 7), 16,
            expertMask: ExpertMask.Keep(config, attention: null, mlp: keep));

        Assert.All(result.Usage, layer => Assert.Equal([0L, 0L], new[] { layer.Mlp.SelectionCounts[1], layer.Mlp.SelectionCounts[3] }));
    }
}
