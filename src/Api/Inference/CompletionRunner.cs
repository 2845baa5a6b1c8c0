using System.Text.Json;
using System.Threading.Channels;
using ModuleService.Inference;
using ModuleService.Inference.Batching;

namespace ModuleService.Api.Inference;

/// <summary>Submits a plan's jobs to the engine and collects or streams their results.</summary>
public sealed class CompletionRunner(InferenceHost host)
{
    /// <summary>All choices at once; every job is cancelled if one cannot be queued or the client leaves.</summary>
    public async Task<(IReadOnlyList<(ChoiceBuilder Choice, CompletionResult Result)> Choices, UsageInfo Usage)> RunAsync(
        CompletionPlan plan, CancellationToken aborted)
    {
        using var all = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        try
        {
            var handles = await SubmitAsync(plan, all.Token);
            var results = await Task.WhenAll(handles.Select(h => h.Handle.CollectAsync(all.Token)));
            var choices = handles.Zip(results, (h, r) =>
            {
                if (plan.Echo) h.Choice.AddPrompt(r.Prompt);
                foreach (var token in r.Tokens) h.Choice.AddToken(token);
                h.Choice.Finish();
                return (h.Choice, r);
            }).ToList();
            return (choices, Usage(plan, results.Select(r => r.Usage)));
        }
        catch { await all.CancelAsync(); throw; }
    }

    /// <summary>
    /// Queues every choice first (so a full queue is still a plain 429, before any byte is streamed), then streams
    /// pieces <c>(choice, text, finishReason, logprobs)</c> in arrival order; the last piece of each choice has its
    /// reason, and <c>Logprobs</c> (with <c>logprobs</c> requested) are exactly the tokens of that piece.
    /// </summary>
    public async Task<IAsyncEnumerable<StreamPiece>> StartStreamAsync(CompletionPlan plan, CancellationToken aborted)
    {
        var all = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        try { return Stream(await SubmitAsync(plan, all.Token), all); }
        catch { await all.CancelAsync(); all.Dispose(); throw; }
    }

    static async IAsyncEnumerable<StreamPiece> Stream(List<(ChoiceBuilder Choice, CompletionHandle Handle)> handles, CancellationTokenSource all)
    {
        var merged = Channel.CreateUnbounded<StreamPiece>();
        // One pump per choice is the only thread that touches its ChoiceBuilder: the piece's logprobs are taken
        // here, with its text, not later by the writer while the pump already appends the next token.
        var pumps = handles.Select(h => Task.Run(async () =>
        {
            await foreach (var e in h.Handle.ReadAllAsync(all.Token))
            {
                (string Text, string? Reason)? piece = e switch
                {
                    PromptLogprobsEvent p => (h.Choice.AddPrompt(p.Tokens), null),
                    TokenGeneratedEvent t => (h.Choice.AddToken(t.Token), null),
                    FinishedEvent f => (h.Choice.Finish(), ChoiceBuilder.Reason(f.Reason)),
                    _ => null,
                };
                if (piece is { } ready)
                    await merged.Writer.WriteAsync(new StreamPiece(h.Choice.Index, ready.Text, ready.Reason, h.Choice.TakeLogprobs()), all.Token);
            }
        })).ToList();
        _ = Task.WhenAll(pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        try
        {
            await foreach (var item in merged.Reader.ReadAllAsync(all.Token)) yield return item;
        }
        finally
        {
            await all.CancelAsync();
            all.Dispose();
        }
    }

    async Task<List<(ChoiceBuilder Choice, CompletionHandle Handle)>> SubmitAsync(CompletionPlan plan, CancellationToken ct)
    {
        var handles = new List<(ChoiceBuilder, CompletionHandle)>(plan.Choices);
        for (int i = 0; i < plan.Choices; i++)
        {
            // The engine checks text stops on its own decoder; the choice builder trims the text it shows.
            var engineStops = new TextStops(plan.Model.Tokenizer, plan.Stops);
            handles.Add((new ChoiceBuilder(i, plan), await host.SubmitAsync(plan.Model.Key, plan.Model.Build, plan.Job(i, engineStops, ct), ct)));
        }
        return handles;
    }

    /// <summary>Prompt tokens count once per prompt, completion tokens once per choice.</summary>
    public static UsageInfo Usage(CompletionPlan plan, IEnumerable<CompletionUsage> usages)
    {
        int prompt = plan.Prompts.Sum(p => p.Tokens.Length);
        int completion = usages.Sum(u => u.CompletionTokens);
        return new UsageInfo(prompt, completion, prompt + completion);
    }

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

/// <summary>A piece of one choice's stream: its text, the finish reason on the last piece, and (with
/// <c>logprobs</c>) the log-probabilities of exactly the tokens of this piece.</summary>
public sealed record StreamPiece(int Index, string Text, string? FinishReason, LogprobsInfo? Logprobs);
