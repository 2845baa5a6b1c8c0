using System.Diagnostics;
using ModuleService.Inference.Batching;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Inference.Tests;

/// <summary>Aggregate decode throughput, 1 vs 8 concurrent greedy requests (reported, loosely asserted).</summary>
public sealed class ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EightConcurrentRequests_DecodeFasterInAggregateThanOne()
    {
        var sw = Stopwatch.StartNew();
        using var model = TestModels.Load(TestModels.Tiny);
        output.WriteLine($"load {sw.ElapsedMilliseconds} ms");
        await using var engine = new BatchEngine("tiny", model, TestModels.Options(maxBatch: 8));
        await Run(engine, 1);                                   // warm-up
        output.WriteLine($"warm-up done {sw.ElapsedMilliseconds} ms");
        double one = await Run(engine, 1), eight = await Run(engine, 8);
        var solo = Stopwatch.StartNew();
        SoloReference.Generate(model, new CompletionJob { PromptTokens = TestModels.Prompt(new Random(1), 16), MaxNewTokens = 64 });
        output.WriteLine($"TextGenerator alone: {64 / solo.Elapsed.TotalSeconds:0} tokens/s");
        output.WriteLine($"aggregate decode tokens/s: 1 request {one:0}, 8 concurrent {eight:0} ({eight / one:0.0}×)");
        Assert.True(eight > one, $"8 concurrent requests ({eight:0} tokens/s) should beat one ({one:0} tokens/s)");
    }

    private static async Task<double> Run(BatchEngine engine, int concurrent)
    {
        var random = new Random(concurrent);
        var sw = Stopwatch.StartNew();
        var handles = Enumerable.Range(0, concurrent)
            .Select(_ => engine.Submit(new CompletionJob { PromptTokens = TestModels.Prompt(random, 16), MaxNewTokens = 64 }))
            .ToList();
        var results = await Task.WhenAll(handles.Select(h => h.CollectAsync()));
        return results.Sum(r => r.Usage.CompletionTokens) / sw.Elapsed.TotalSeconds;
    }
}
