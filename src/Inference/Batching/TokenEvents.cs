using ModuleService.Model.Generation;

namespace ModuleService.Inference.Batching;

/// <summary>What a request's stream carries: with echo first one <see cref="PromptLogprobsEvent"/>, then one
/// <see cref="TokenGeneratedEvent"/> per released token, then exactly one <see cref="FinishedEvent"/>.
/// A cancelled request's stream ends with <see cref="OperationCanceledException"/>, a failed one with its error.</summary>
public abstract record TokenEvent;

public sealed record PromptLogprobsEvent(IReadOnlyList<PromptTokenLogprob> Tokens) : TokenEvent;

/// <param name="Token">Row is always 0; Step is the token's index among the sampled tokens.</param>
public sealed record TokenGeneratedEvent(GeneratedToken Token) : TokenEvent;

public sealed record FinishedEvent(FinishReason Reason, CompletionUsage Usage) : TokenEvent;

/// <summary>A prompt token with the log-probability the model gave it after the tokens before it.</summary>
/// <param name="Logprob">null for the first prompt token, which has no context.</param>
/// <param name="TopLogprobs">the most likely tokens at that position (when TopLogprobs &gt; 0 and not the first).</param>
public sealed record PromptTokenLogprob(long TokenId, float? Logprob, IReadOnlyList<(long TokenId, float Logprob)>? TopLogprobs);

/// <param name="CompletionTokens">tokens the model sampled, including an EOS or a removed stop sequence.</param>
public sealed record CompletionUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>A whole non-streamed completion, gathered from the events.</summary>
public sealed record CompletionResult(IReadOnlyList<PromptTokenLogprob>? Prompt, IReadOnlyList<GeneratedToken> Tokens,
    FinishReason FinishReason, CompletionUsage Usage)
{
    public long[] TokenIds => Tokens.Select(t => t.TokenId).ToArray();
}
