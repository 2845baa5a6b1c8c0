using System.Diagnostics;
using System.Threading.Channels;
using ModuleService.Inference.Telemetry;
using ModuleService.Model.Generation;

namespace ModuleService.Inference.Batching;

/// <summary>
/// A submitted job's engine-side state. Queued requests may be cancelled from any thread (under the engine's
/// queue lock); once started, everything here runs on the engine thread.
/// </summary>
internal sealed class Request
{
    private readonly Channel<TokenEvent> channel = Channel.CreateUnbounded<TokenEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly EngineMetrics metrics;
    private readonly StopTracker stops;
    private readonly long submitted = Stopwatch.GetTimestamp();
    private long lastToken;
    private int done;

    public Request(CompletionJob job, EngineMetrics metrics)
    {
        Job = job;
        this.metrics = metrics;
        stops = new StopTracker(job, t => channel.Writer.TryWrite(new TokenGeneratedEvent(t)));
        Handle = new CompletionHandle(channel.Reader);
    }

    public CompletionJob Job { get; }
    public CompletionHandle Handle { get; }
    public long[] Prompt => Job.PromptTokens;
    /// <summary>Null for greedy rows, which take the batch-wide argmax.</summary>
    public TokenSampler? Sampler { get; private set; }
    public int Sampled { get; private set; }
    /// <summary>The last sampled token: the next decode step's input for this row.</summary>
    public long NextInput { get; private set; }
    public bool IsDone => Volatile.Read(ref done) != 0;
    public bool IsCancelled => Job.CancellationToken.IsCancellationRequested;
    public CancellationTokenRegistration Registration { get; set; }
    /// <summary>Called once when the request ends, however it ends (may run on a cancelling thread).</summary>
    public Action<Request>? Ended { get; set; }
    public TimeSpan Age => Stopwatch.GetElapsedTime(submitted);

    /// <summary>Admitted to a batch: the sampler (and its seeded generator) exists only while the row runs.</summary>
    public void Start()
    {
        if (!Job.Sampling.IsGreedy) Sampler = new TokenSampler([Job.Sampling]);
        metrics.PromptTokens(Prompt.Length);
    }

    public void EmitPrompt(IReadOnlyList<PromptTokenLogprob> tokens) => channel.Writer.TryWrite(new PromptLogprobsEvent(tokens));

    /// <summary>Takes one sampled token; true when the request has finished.</summary>
    public bool Accept(GeneratedToken token)
    {
        long now = Stopwatch.GetTimestamp();
        if (Sampled == 0) metrics.TimeToFirstToken(Stopwatch.GetElapsedTime(submitted, now));
        else metrics.InterTokenLatency(Stopwatch.GetElapsedTime(lastToken, now));
        lastToken = now;
        Sampled++;
        NextInput = token.TokenId;
        metrics.CompletionTokens(1);

        try { stops.Accept(token); }
        catch (Exception e)
        {
            // A throwing text-stop callback is the caller's bug: fail this request, not its batch mates.
            Fail(e);
            return true;
        }
        if (stops.Stopped) { Finish(FinishReason.Stop); return true; }
        if (Sampled >= Job.MaxNewTokens) { stops.ReleaseAll(); Finish(FinishReason.Length); return true; }
        return false;
    }

    /// <summary>Ends a request that asked for no new tokens (the prompt was still run, e.g. for echo).</summary>
    public void FinishWithoutTokens() => Finish(FinishReason.Length);

    public void Cancel() => End(new OperationCanceledException(Job.CancellationToken), RequestOutcome.Cancelled);

    public void Fail(Exception error) => End(error, RequestOutcome.Failed);

    private void Finish(FinishReason reason)
    {
        channel.Writer.TryWrite(new FinishedEvent(reason, new CompletionUsage(Prompt.Length, Sampled)));
        End(null, RequestOutcome.Completed);
    }

    private void End(Exception? error, RequestOutcome outcome)
    {
        if (Interlocked.Exchange(ref done, 1) != 0) return;
        channel.Writer.TryComplete(error);
        Sampler?.Dispose();
        Registration.Dispose();
        metrics.RequestFinished(outcome);
        Ended?.Invoke(this);
    }
}
