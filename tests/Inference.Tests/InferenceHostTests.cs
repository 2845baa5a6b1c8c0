using ModuleService.Inference.Batching;
using ModuleService.Inference.Caching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;
using Xunit;

namespace ModuleService.Inference.Tests;

public sealed class InferenceHostTests
{
    [Fact]
    public async Task EvictingAModel_RetiresItsEngine_AndTheNextRequestRebuildsIt()
    {
        long oneModel;
        using (var probe = TestModels.Load(TestModels.Tiny)) oneModel = ModelCache.SizeOf(probe);
        var usage = new ExpertUsage();
        // Room for one fixture model: serving b evicts a.
        await using var host = new InferenceHost(TestModels.Options(cacheBytes: oneModel + oneModel / 2), new EngineMetrics(usage), usage);
        var builds = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        Func<CancellationToken, Task<ModuleFormerForCausalLM>> Build(string key, string fixture) => _ =>
        {
            builds[key]++;
            return Task.FromResult(TestModels.Load(fixture));
        };
        var job = new CompletionJob { PromptTokens = [5, 6, 7], MaxNewTokens = 4 };

        var first = await (await host.SubmitAsync("a", Build("a", TestModels.Tiny), job)).CollectAsync();
        var engineA = await host.GetEngineAsync("a", Build("a", TestModels.Tiny));
        await (await host.SubmitAsync("b", Build("b", TestModels.MolmLike), job)).CollectAsync();   // evicts a

        await engineA.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(engineA.Model.LmHead.weight!.IsInvalid);
        var again = await (await host.SubmitAsync("a", Build("a", TestModels.Tiny), job)).CollectAsync();

        Assert.Equal(2, builds["a"]);
        Assert.Equal(first.TokenIds, again.TokenIds);
        Assert.Equal(["a"], host.Cache.LoadedKeys);
        Assert.Contains(usage.Snapshot(), e => e.ModelKey == "b" && e.Selections > 0);
    }
}
