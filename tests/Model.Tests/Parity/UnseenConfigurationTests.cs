using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>
/// Configurations no fixture covers (layer, expert, k, head and vocabulary counts, both gate types, identity and
/// projected K/V, padding) against <see cref="NaiveModuleFormer"/>: the model may not be special-cased to fixtures.
/// </summary>
public sealed class UnseenConfigurationTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, string, bool> Configurations() => new()
    {
        // layers, embd, heads, attHidden, attExperts, kAtt, mlpExperts, kMlp, gate, padded
        { 1, 16, 1, 16, 1, 1, 1, 1, "mlp", false },
        { 3, 24, 3, 12, 5, 3, 6, 4, "mlp", true },
        { 2, 32, 1, 32, 6, 4, 3, 1, "linear", true },
        { 2, 16, 4, 32, 3, 2, 5, 3, "linear", false },
        { 4, 8, 2, 8, 2, 1, 4, 4, "mlp", true },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void MatchesNaiveReference(int layers, int embd, int heads, int attHidden, int attExperts, int kAtt, int mlpExperts, int kMlp, string gate, bool padded)
    {
        var config = new ModuleFormerConfig
        {
            VocabSize = 37 + layers * 11, HiddenSize = embd, Layers = layers, Heads = heads, AttentionHidden = attHidden,
            MlpHidden = 2 * embd + 3, AttentionExperts = attExperts, AttentionTopK = kAtt, MlpExperts = mlpExperts, MlpTopK = kMlp,
            GatingSize = 7, GateType = gate, InitializerRange = 0.2, BlockSize = 16, HistoryLength = 16,
        };
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        using var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(seed: layers * 1000 + embd);
        model.eval();
        var weights = model.state_dict();

        var random = new Random(layers + heads);
        long[][] ids = [Enumerable.Range(0, 9).Select(_ => (long)random.Next(config.VocabSize)).ToArray(),
                        Enumerable.Range(0, 9).Select(_ => (long)random.Next(config.VocabSize)).ToArray()];
        long[][]? mask = padded ? [[1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 0, 1, 1, 1]] : null;

        var (expectedLogits, expectedRouting) = new NaiveModuleFormer(config, weights).Forward(ids, mask);
        var output = model.forward(tensor(ids.SelectMany(r => r).ToArray(), [2, 9]),
            mask is null ? null : tensor(mask.SelectMany(r => r).ToArray(), [2, 9]));

        for (int layer = 0; layer < layers; layer++)
        {
            Assert.Equal(expectedRouting[layer].Attention, ReferenceParityTests.ToRows(output.Routing[layer].Attention.TopKIndices));
            Assert.Equal(expectedRouting[layer].Mlp, ReferenceParityTests.ToRows(output.Routing[layer].Mlp.TopKIndices));
        }
        ReferenceParityTests.AssertClose(expectedLogits.to(ScalarType.Float32), output.Logits, 1e-4, "logits");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void CachedGreedyEqualsFullForward(int layers, int embd, int heads, int attHidden, int attExperts, int kAtt, int mlpExperts, int kMlp, string gate, bool padded)
    {
        var config = new ModuleFormerConfig
        {
            VocabSize = 50, HiddenSize = embd, Layers = layers, Heads = heads, AttentionHidden = attHidden, MlpHidden = embd,
            AttentionExperts = attExperts, AttentionTopK = kAtt, MlpExperts = mlpExperts, MlpTopK = kMlp, GatingSize = 5,
            GateType = gate, InitializerRange = 0.2,
        };
        using var scope = NewDisposeScope();
        using var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(seed: 7 + layers);
        model.eval();
        long[][] prompts = padded ? [[3, 4, 5, 6, 7], [8, 9]] : [[3, 4, 5], [6, 7, 8]];

        var generated = TextGenerator.Generate(model, prompts, new GenerationOptions(12), [SamplingOptions.Greedy]);

        using var _ = inference_mode();
        for (int row = 0; row < prompts.Length; row++)
        {
            // Each row alone, re-run in full at every step: left padding and the cache must not change the choice.
            var sequence = prompts[row].ToList();
            foreach (var token in generated[row].TokenIds)
            {
                var logits = model.forward(tensor(sequence.ToArray()).unsqueeze(0)).Logits;
                Assert.Equal(token, logits[0, -1].argmax().item<long>());
                sequence.Add(token);
            }
        }
    }
}
