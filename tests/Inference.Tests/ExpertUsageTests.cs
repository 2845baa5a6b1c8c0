using ModuleService.Inference.Batching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Generation;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Inference.Tests;

public sealed class ExpertUsageTests
{
    [Fact]
    public async Task ServedTraffic_CountsEveryForwardedTokenOnceInEveryLayer()
    {
        using var model = TestModels.Load(TestModels.Tiny);
        var config = model.Config;
        var usage = new ExpertUsage();
        await using var engine = new BatchEngine("asm-1", model, TestModels.Options(), usage: usage);
        var random = new Random(4);
        var jobs = new[] { 5, 12, 1 }.Select(n => new CompletionJob { PromptTokens = TestModels.Prompt(random, n), MaxNewTokens = 7 }).ToList();

        await Task.WhenAll(jobs.Select(j => engine.Submit(j).CollectAsync()));

        // Each prompt token and every sampled token but the last goes through the model once; padding does not count.
        long tokens = jobs.Sum(j => j.PromptTokens.Length + j.MaxNewTokens - 1);
        var entries = usage.Snapshot();
        foreach (var group in entries.GroupBy(e => (e.Layer, e.Kind)))
        {
            int k = group.Key.Kind == ExpertKind.Attention ? config.AttentionTopK : config.MlpTopK;
            Assert.Equal(tokens * k, group.Sum(e => e.Selections));
            Assert.All(group, e => Assert.InRange(e.MeanGate, 0, 1));
        }
        Assert.Equal(config.Layers * (config.AttentionExperts + config.MlpExperts), entries.Count);
    }

    [Fact]
    public void Tally_ExcludesPaddingAndMatchesTheRouting()
    {
        using var model = TestModels.Load(TestModels.MolmLike);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        long[] shortPrompt = [7, 8, 9], longPrompt = [10, 11, 12, 13, 14, 15];

        var (ids, mask) = TextGenerator.LeftPad([shortPrompt, longPrompt]);
        var padded = RoutingTally.From(model.forward(ids, mask).Routing, mask!.flatten().to(ScalarType.Bool));
        var first = RoutingTally.From(model.forward(tensor(shortPrompt).unsqueeze(0)).Routing, null);
        var second = RoutingTally.From(model.forward(tensor(longPrompt).unsqueeze(0)).Routing, null);

        var routing = model.forward(tensor(longPrompt).unsqueeze(0)).Routing;
        var picked = routing[1].Mlp.TopKIndices.data<long>().ToArray();
        var gates = routing[1].Mlp.TopKGates.data<float>().ToArray();
        for (int e = 0; e < model.Config.MlpExperts; e++)
        {
            int slot = second.IndexOf(ExpertKind.Mlp, 1, e);
            Assert.Equal(picked.Count(p => p == e), second.Counts[slot]);
            Assert.Equal(picked.Select((p, i) => p == e ? gates[i] : 0).Sum(), second.GateSums[slot], 4);
        }
        for (int i = 0; i < padded.Counts.Length; i++)
        {
            Assert.Equal(first.Counts[i] + second.Counts[i], padded.Counts[i]);
            Assert.Equal(first.GateSums[i] + second.GateSums[i], padded.GateSums[i], 4);
        }
    }

    [Fact]
    public void Drain_ReturnsUsageSinceTheLastDrain_WhileSnapshotKeepsTotals()
    {
        var usage = new ExpertUsage();
        var tally = new RoutingTally(1, 2, 2, [1, 0, 2, 3], [0.5, 0, 1.0, 0.9]);
        usage.Record("a", tally);
        usage.Record("a", tally);

        var drained = usage.Drain();
        usage.Record("a", tally);

        Assert.Equal(4, drained.Single(e => e.Kind == ExpertKind.Mlp && e.Expert == 0).Selections);
        Assert.Equal(0.5, drained.Single(e => e.Kind == ExpertKind.Mlp && e.Expert == 0).MeanGate, 6);
        Assert.Equal(1, usage.Drain().Single(e => e.Kind == ExpertKind.Attention && e.Expert == 0).Selections);
        Assert.Empty(usage.Drain());
        Assert.Equal(9, usage.Snapshot().Single(e => e.Kind == ExpertKind.Mlp && e.Expert == 1).Selections);
    }

    [Fact]
    public void ConcurrentRecords_AreAllCounted()
    {
        var usage = new ExpertUsage();
        Parallel.For(0, 1000, i => usage.Record(i % 2 == 0 ? "a" : "b", new RoutingTally(1, 1, 1, [1, 2], [0.25, 0.5])));

        var totals = usage.Snapshot();
        Assert.All(totals.Where(e => e.Kind == ExpertKind.Attention), e => Assert.Equal(500, e.Selections));
        Assert.All(totals.Where(e => e.Kind == ExpertKind.Mlp), e => Assert.Equal(0.25, e.MeanGate, 9));
    }
}
