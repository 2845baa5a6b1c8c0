using System.Threading.Channels;
using ModuleService.Model.Generation;

namespace ModuleService.Inference.Batching;

/// <summary>The caller's side of a submitted request: read <see cref="Events"/> to stream, or <see cref="CollectAsync"/>.</summary>
public sealed class CompletionHandle
{
    internal CompletionHandle(ChannelReader<TokenEvent> events) => Events = events;

    public ChannelReader<TokenEvent> Events { get; }

    public IAsyncEnumerable<TokenEvent> ReadAllAsync(CancellationToken cancellation = default) => Events.ReadAllAsync(cancellation);

    /// <summary>Waits for the end of the request and returns everything it produced.</summary>
    public async Task<CompletionResult> CollectAsync(CancellationToken cancellation = default)
    {
        IReadOnlyList<PromptTokenLogprob>? prompt = null;
        var tokens = new List<GeneratedToken>();
        await foreach (var e in Events.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            switch (e)
            {
                case PromptLogprobsEvent p: prompt = p.Tokens; break;
                case TokenGeneratedEvent t: tokens.Add(t.Token); break;
                case FinishedEvent f: return new CompletionResult(prompt, tokens, f.Reason, f.Usage);
            }
        }
        throw new InvalidOperationException("the stream ended without a finish event");
    }
}
