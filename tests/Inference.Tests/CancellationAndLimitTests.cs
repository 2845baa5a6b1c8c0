using System.Threading.Channels;
using ModuleService.Inference.Batching;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;
using Xunit;

namespace ModuleService.Inference.Tests;

/// <summary>Client disconnects, the queue limit and request validation.</summary>
public sealed class CancellationAndLimitTests : IDisposable
{
    private readonly ModuleFormerForCausalLM model = TestModels.Load(TestModels.Tiny);
    private readonly Random random = new(3);

    [Fact]
    public async Task CancellingARunningRequest_StopsItsComputeAndFreesItsRow()
    {
        var metrics = new EngineMetrics();
        await using var engine = new BatchEngine("m", model, TestModels.Options(), metrics);
        using var disconnect = new CancellationTokenSource();
        int released = 0;
        var doomed = engine.Submit(new CompletionJob
        {
            PromptTokens = TestModels.Prompt(random, 6), MaxNewTokens = 500, CancellationToken = disconnect.Token,
            // The client goes away right after its 5th token (on the engine thread, so the moment is exact).
            StopAfterToken = _ => { if (++released == 5) disconnect.Cancel(); return false; },
        });
        var survivor = engine.Submit(new CompletionJob { PromptTokens = TestModels.Prompt(random, 4), MaxNewTokens = 60 });

        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in doomed.ReadAllAsync()) if (e is TokenGeneratedEvent) seen++;
        });
        var rest = await survivor.CollectAsync();

        Assert.Equal(60, rest.Usage.CompletionTokens);
        // Not one more step for the cancelled row: it left the batch before the next decode.
        Assert.Equal(5, seen);
        Assert.Equal(5, metrics.CompletionTokensTotal - 60);
        Assert.Equal(1, metrics.Requests(RequestOutcome.Cancelled));
        Assert.True(await Eventually.True(() => engine.ActiveRows == 0 && metrics.ActiveRows == 0));
    }

    [Fact]
    public async Task CancellingAQueuedRequest_RemovesItFromTheQueue()
    {
        await using var engine = new BatchEngine("m", model, TestModels.Options(maxBatch: 1, maxQueue: 4));
        using var running = new CancellationTokenSource();
        var busy = engine.Submit(new CompletionJob { PromptTokens = TestModels.Prompt(random, 4), MaxNewTokens = 500, CancellationToken = running.Token });
        await busy.Events.ReadAsync();                              // admitted and decoding
        using var disconnect = new CancellationTokenSource();
        var queued = engine.Submit(new CompletionJob { PromptTokens = TestModels.Prompt(random, 4), CancellationToken = disconnect.Token });
        Assert.Equal(1, engine.QueueDepth);

        disconnect.Cancel();

        Assert.Equal(0, engine.QueueDepth);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.CollectAsync());
        running.Cancel();
    }

    [Fact]
    public async Task FullQueue_RejectsWithRetryAfter()
    {
        var metrics = new EngineMetrics();
        await using var engine = new BatchEngine("m", model, TestModels.Options(maxBatch: 1, maxQueue: 2), metrics);
        using var stop = new CancellationTokenSource();
        CompletionJob Job() => new() { PromptTokens = TestModels.Prompt(random, 4), MaxNewTokens = 500, CancellationToken = stop.Token };
        var busy = engine.Submit(Job());
        await busy.Events.ReadAsync();
        engine.Submit(Job());
        engine.Submit(Job());

        var full = Assert.Throws<QueueFullException>(() => engine.Submit(Job()));

        Assert.InRange(full.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(1, metrics.Requests(RequestOutcome.Rejected));
        Assert.Equal(2, engine.QueueDepth);
        stop.Cancel();
    }

    [Theory]
    [InlineData("prompt_too_long")]
    [InlineData("empty_prompt")]
    [InlineData("token_outside_vocab")]
    [InlineData("max_tokens")]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("logprobs")]
    [InlineData("stop")]
    [InlineData("mask_layers")]
    [InlineData("mask_fewer_than_k")]
    public async Task InvalidJobs_AreRejectedWithTheFieldName(string problem)
    {
        await using var engine = new BatchEngine("m", model, new InferenceOptions { MaxPromptTokens = 16, MaxNewTokens = 32 });
        var ok = new CompletionJob { PromptTokens = [5, 6, 7] };
        var allMlp = Enumerable.Repeat(true, 8).ToArray();
        var (job, field) = problem switch
        {
            "prompt_too_long" => (ok with { PromptTokens = TestModels.Prompt(random, 17) }, "prompt"),
            "empty_prompt" => (ok with { PromptTokens = [] }, "prompt"),
            "token_outside_vocab" => (ok with { PromptTokens = [5, 512] }, "prompt"),
            "max_tokens" => (ok with { MaxNewTokens = 33 }, "max_tokens"),
            "temperature" => (ok with { Sampling = new(Temperature: -1) }, "temperature"),
            "top_p" => (ok with { Sampling = new(TopP: 0) }, "top_p"),
            "logprobs" => (ok with { TopLogprobs = 21 }, "logprobs"),
            "stop" => (ok with { StopSequences = [[]] }, "stop"),
            "mask_layers" => (ok with { ExpertMask = [new LayerExpertSelection(null, allMlp)] }, "expert_mask"),
            _ => (ok with { ExpertMask = [new([true, false, false, false], null), new(null, null)] }, "expert_mask"),
        };

        var error = Assert.Throws<CompletionValidationException>(() => engine.Submit(job));

        Assert.Equal(field, error.Field);
        Assert.Equal(0, engine.QueueDepth);
    }

    [Fact]
    public async Task AThrowingTextStopCallback_FailsOnlyItsOwnRequest()
    {
        await using var engine = new BatchEngine("m", model, TestModels.Options());
        var bad = engine.Submit(new CompletionJob { PromptTokens = [5, 6], MaxNewTokens = 10, StopAfterToken = _ => throw new InvalidDataException("boom") });
        var good = engine.Submit(new CompletionJob { PromptTokens = [7, 8], MaxNewTokens = 10 });

        await Assert.ThrowsAsync<InvalidDataException>(() => bad.CollectAsync());
        Assert.Equal(10, (await good.CollectAsync()).Tokens.Count);
    }

    public void Dispose() => model.Dispose();
}
