using ModuleService.Inference.Batching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Checkpoints;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Inference.Tests;

/// <summary>bf16 weights and compute (the default on AVX512-BF16 CPUs; emulated, but correct, elsewhere).</summary>
public sealed class Bf16Tests
{
    [Fact]
    public async Task ABf16Model_ServesBatchedRequestsWithFp32Logprobs()
    {
        using var model = ModelCheckpoint.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", TestModels.MolmLike), ScalarType.BFloat16);
        var usage = new ExpertUsage();
        await using var engine = new BatchEngine("bf16", model, TestModels.Options(), usage: usage);
        var random = new Random(8);

        var results = await Task.WhenAll(new[] { 3, 10 }.Select(n => engine.Submit(new CompletionJob
        {
            PromptTokens = TestModels.Prompt(random, n), MaxNewTokens = 8, Echo = true, TopLogprobs = 2,
        }).CollectAsync()));

        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.All(results, r => Assert.Equal(8, r.Tokens.Count));
        Assert.All(results.SelectMany(r => r.Tokens), t => Assert.True(t.Logprob <= 0 && float.IsFinite(t.Logprob)));
        Assert.All(results.SelectMany(r => r.Prompt!.Skip(1)), t => Assert.True(t.Logprob <= 0));
        Assert.Contains(usage.Snapshot(), e => e.Selections > 0 && e.MeanGate is > 0 and <= 1);
    }
}
