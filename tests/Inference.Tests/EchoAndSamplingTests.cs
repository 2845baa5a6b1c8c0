using ModuleService.Inference.Batching;
using ModuleService.Model.Generation;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Inference.Tests;

/// <summary>Echoed prompt log-probabilities, seeded sampling across batch compositions, and tensor hygiene.</summary>
public sealed class EchoAndSamplingTests
{
    [Theory]
    [MemberData(nameof(TestModels.Fixtures), MemberType = typeof(TestModels))]
    public async Task EchoedPromptLogprobs_EqualFullForwardLogSoftmax_WhenPrefilledWithPadding(string fixture)
    {
        using var model = TestModels.Load(fixture);
        var random = new Random(5);
        await using var engine = new BatchEngine("m", model, TestModels.Options());
        var prompts = new[] { TestModels.Prompt(random, 3), TestModels.Prompt(random, 17), TestModels.Prompt(random, 9) };
        var handles = new List<CompletionHandle>();
        // Submitted together from the engine thread, so the three prompts share one left-padded prefill.
        var trigger = engine.Submit(new CompletionJob
        {
            PromptTokens = [4, 5], MaxNewTokens = 4,
            StopAfterToken = _ =>
            {
                if (handles.Count == 0)
                    handles.AddRange(prompts.Select(p => engine.Submit(new CompletionJob { PromptTokens = p, MaxNewTokens = 0, Echo = true, TopLogprobs = 2 })));
                return false;
            },
        });
        await trigger.CollectAsync();

        for (int i = 0; i < prompts.Length; i++)
        {
            var result = await handles[i].CollectAsync();
            var full = SoloReference.PromptLogSoftmax(model, prompts[i]);
            Assert.Empty(result.Tokens);
            Assert.Equal(FinishReason.Length, result.FinishReason);
            Assert.Equal(prompts[i], result.Prompt!.Select(t => t.TokenId).ToArray());
            Assert.Null(result.Prompt![0].Logprob);
            for (int t = 1; t < prompts[i].Length; t++)
            {
                var expected = full[t - 1];
                Assert.True(Math.Abs(expected[prompts[i][t]] - result.Prompt[t].Logprob!.Value) < 1e-4, $"prompt {i} token {t}");
                var best = result.Prompt[t].TopLogprobs![0];
                Assert.True(Math.Abs(expected.Max() - best.Logprob) < 1e-4);
            }
        }
    }

    [Fact]
    public async Task EchoOfAPromptLongerThanOneLogitChunk_MatchesTheFullForward()
    {
        using var model = TestModels.Load(TestModels.Tiny);
        await using var engine = new BatchEngine("m", model, new InferenceOptions { MaxPromptTokens = 600 });
        var prompt = TestModels.Prompt(new Random(6), 530);

        var result = await engine.Submit(new CompletionJob { PromptTokens = prompt, MaxNewTokens = 1, Echo = true }).CollectAsync();

        var full = SoloReference.PromptLogSoftmax(model, prompt);
        Assert.Equal(prompt.Length, result.Prompt!.Count);
        for (int t = 1; t < prompt.Length; t++)
            Assert.True(Math.Abs(full[t - 1][prompt[t]] - result.Prompt[t].Logprob!.Value) < 1e-4, $"token {t}");
        Assert.Equal(full[^1].Select((v, i) => (v, i)).Max().i, result.Tokens[0].TokenId);
    }

    [Fact]
    public async Task SeededSampling_GivesTheSameTokensAloneAndWithBatchMates()
    {
        using var model = TestModels.Load(TestModels.MolmLike);
        var random = new Random(9);
        await using var engine = new BatchEngine("m", model, TestModels.Options());
        var seeded = new CompletionJob { PromptTokens = TestModels.Prompt(random, 7), MaxNewTokens = 24, Sampling = new(Temperature: 1.2, TopP: 0.95, Seed: 1234) };

        var alone = await engine.Submit(seeded).CollectAsync();
        var mates = Enumerable.Range(0, 5).Select(i => engine.Submit(new CompletionJob
        {
            PromptTokens = TestModels.Prompt(random, 3 + 4 * i), MaxNewTokens = 30, Sampling = new(Temperature: 1, Seed: i),
        })).ToList();
        var together = await engine.Submit(seeded).CollectAsync();
        await Task.WhenAll(mates.Select(m => m.CollectAsync()));

        Assert.Equal(alone.TokenIds, together.TokenIds);
        Assert.Equal(SoloReference.Generate(model, seeded).TokenIds, alone.TokenIds);
    }

    [Fact]
    public async Task TensorsDoNotAccumulateAcrossRequests()
    {
        using var model = TestModels.Load(TestModels.Tiny);
        var random = new Random(2);
        await using var engine = new BatchEngine("m", model, TestModels.Options(maxBatch: 4));
        async Task Round()
        {
            var handles = Enumerable.Range(0, 6).Select(i => engine.Submit(new CompletionJob
            {
                PromptTokens = TestModels.Prompt(random, 2 + 5 * i), MaxNewTokens = 10 + 3 * i, Echo = i % 2 == 0, TopLogprobs = i % 3,
                Sampling = i % 2 == 0 ? SamplingOptions.Greedy : new(Temperature: 0.7, Seed: i),
            })).ToList();
            await Task.WhenAll(handles.Select(h => h.CollectAsync()));
            await Eventually.True(() => engine.ActiveRows == 0);
        }

        await Round();
        long live = Tensor.TotalCount;
        await Round();
        await Round();

        Assert.Equal(live, Tensor.TotalCount);
    }
}
