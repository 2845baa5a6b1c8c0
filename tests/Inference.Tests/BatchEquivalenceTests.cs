using ModuleService.Inference.Batching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Generation;
using Xunit;

namespace ModuleService.Inference.Tests;

/// <summary>A request's output must not depend on when it joined the batch or who it shares it with.</summary>
public sealed class BatchEquivalenceTests
{
    [Theory]
    [MemberData(nameof(TestModels.Fixtures), MemberType = typeof(TestModels))]
    public async Task RequestsJoiningARunningBatch_MatchSoloGeneration(string fixture)
    {
        using var model = TestModels.Load(fixture);
        var random = new Random(11);
        var config = model.Config;
        var masked = Enumerable.Range(0, config.Layers).Select(layer => new LayerExpertSelection(
            Attention: layer == 0 ? [true, false, true, true] : null,
            Mlp: [true, layer == 1, true, false, true, false, true, true])).ToList();
        var seeded = new SamplingOptions(Temperature: 0.9, TopK: 40, TopP: 0.9, Seed: 42);

        // Stop conditions taken from the solo output, so the batched run has to end at the same place.
        var stopJob = new CompletionJob { PromptTokens = TestModels.Prompt(random, 9), MaxNewTokens = 20 };
        var plain = SoloReference.Generate(model, stopJob).TokenIds;
        var withStops = stopJob with { StopSequences = [plain[6..8]], EosTokenId = plain[12] };
        var textStop = new CompletionJob { PromptTokens = TestModels.Prompt(random, 6), MaxNewTokens = 20 };
        long stopAt = SoloReference.Generate(model, textStop).TokenIds[4];
        textStop = textStop with { StopAfterToken = t => t == stopAt };

        // (step of the first request at which the job joins, job)
        var joining = new (int Step, CompletionJob Job)[]
        {
            (2, new CompletionJob { PromptTokens = TestModels.Prompt(random, 11), MaxNewTokens = 20, ExpertMask = masked }),
            (5, new CompletionJob { PromptTokens = TestModels.Prompt(random, 3), MaxNewTokens = 16, Echo = true, TopLogprobs = 3 }),
            (5, new CompletionJob { PromptTokens = TestModels.Prompt(random, 8), MaxNewTokens = 20, Sampling = seeded }),
            (8, new CompletionJob { PromptTokens = TestModels.Prompt(random, 40), MaxNewTokens = 12 }),
            (8, new CompletionJob { PromptTokens = TestModels.Prompt(random, 2), MaxNewTokens = 16, Sampling = seeded with { Seed = 7 }, ExpertMask = masked }),
            (11, new CompletionJob { PromptTokens = TestModels.Prompt(random, 5), MaxNewTokens = 3 }),
            (11, withStops),
            (14, textStop),
        };

        await using var engine = new BatchEngine("m", model, TestModels.Options());
        var handles = new List<(CompletionJob Job, CompletionHandle Handle)>();
        int released = 0;
        var first = new CompletionJob
        {
            PromptTokens = TestModels.Prompt(random, 5), MaxNewTokens = 30,
            // Runs on the engine thread after each released token: the jobs join before the next decode step.
            StopAfterToken = _ =>
            {
                int step = released++;
                foreach (var (_, job) in joining.Where(j => j.Step == step))
                    lock (handles) handles.Add((job, engine.Submit(job)));
                return false;
            },
        };
        lock (handles) handles.Add((first, engine.Submit(first)));
        var firstResult = await handles[0].Handle.CollectAsync();
        var results = await Task.WhenAll(handles.Skip(1).Select(h => h.Handle.CollectAsync()));

        Assert.Equal(joining.Length, results.Length);
        SoloReference.AssertSame(SoloReference.Generate(model, first with { StopAfterToken = null }), firstResult, "first");
        for (int i = 0; i < results.Length; i++)
        {
            var job = handles[i + 1].Job;
            SoloReference.AssertSame(SoloReference.Generate(model, job), results[i], $"job joining at step {joining[i].Step}");
            Assert.Equal(job.PromptTokens.Length, results[i].Usage.PromptTokens);
        }
        var echoed = results[1].Prompt!;
        var full = SoloReference.PromptLogSoftmax(model, handles[2].Job.PromptTokens);
        Assert.Null(echoed[0].Logprob);
        for (int t = 1; t < echoed.Count; t++)
            Assert.True(Math.Abs(full[t - 1][echoed[t].TokenId] - echoed[t].Logprob!.Value) < 1e-4);
        Assert.Equal(FinishReason.Stop, results[6].FinishReason);
        Assert.Equal(FinishReason.Stop, results[7].FinishReason);
    }

    [Fact]
    public async Task ASmallPrefillBudget_SpreadsNewcomersOverSteps_WithoutChangingOutputs()
    {
        using var model = TestModels.Load(TestModels.MolmLike);
        var random = new Random(12);
        var metrics = new EngineMetrics();
        var options = TestModels.Options();
        options.MaxPrefillTokens = 20;
        await using var engine = new BatchEngine("m", model, options, metrics);
        var newcomers = new[] { 10, 10, 10, 4 }.Select(n => new CompletionJob { PromptTokens = TestModels.Prompt(random, n), MaxNewTokens = 6 }).ToList();
        var handles = new List<CompletionHandle>();
        var first = engine.Submit(new CompletionJob
        {
            PromptTokens = TestModels.Prompt(random, 3), MaxNewTokens = 12,
            StopAfterToken = _ =>
            {
                if (handles.Count == 0) handles.AddRange(newcomers.Select(engine.Submit));
                return false;
            },
        });
        await first.CollectAsync();
        var results = await Task.WhenAll(handles.Select(h => h.CollectAsync()));

        for (int i = 0; i < newcomers.Count; i++)
            SoloReference.AssertSame(SoloReference.Generate(model, newcomers[i]), results[i], $"newcomer {i}");
        // 1 + 2 prefills ({10, 10} then {10, 4}: 2 × 10 ≤ 20 < 3 × 10) and 11 decode steps of the first request.
        Assert.Equal(3 + 11, metrics.ForwardPasses);
    }
}
