using ModuleService.Model.Generation;

namespace ModuleService.Inference.Batching;

/// <summary>One completion request as the engine sees it: token ids in, token events out.</summary>
public sealed record CompletionJob
{
    /// <summary>Prompt token ids (at least one).</summary>
    public required long[] PromptTokens { get; init; }

    /// <summary>Temperature, top_p, top_k and seed; a seeded row draws the same tokens whatever its batch mates.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    public int MaxNewTokens { get; init; } = 16;

    /// <summary>Ends the request (finish reason stop) when sampled; the id is not part of the output.</summary>
    public long? EosTokenId { get; init; }

    /// <summary>Token-id sequences that end the request; the matched sequence is removed from the output and
    /// tokens that could start one are held back until they cannot.</summary>
    public IReadOnlyList<long[]>? StopSequences { get; init; }

    /// <summary>
    /// Text stop conditions the engine cannot see (stop strings across token boundaries): called on the engine
    /// thread with each token as it is released to the stream; return true to end the request after that
    /// token. Keep it cheap (e.g. a <c>StreamingDecoder</c> plus a substring check) and non-throwing.
    /// </summary>
    public Func<long, bool>? StopAfterToken { get; init; }

    /// <summary>Per token, also report the N most likely alternatives (0 = none).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Report the prompt's tokens with their log-probabilities before the generated ones.</summary>
    public bool Echo { get; init; }

    /// <summary>Per layer, the experts this request may use (null = no restriction); see <see cref="LayerExpertSelection"/>.</summary>
    public IReadOnlyList<LayerExpertSelection>? ExpertMask { get; init; }

    /// <summary>Client disconnect: cancels the request whether it is queued or decoding.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>One layer's allowed experts: true = may be routed to; null = all experts of that kind.</summary>
public sealed record LayerExpertSelection(bool[]? Attention, bool[]? Mlp);

/// <summary>The per-model queue is full; answer 429 with <see cref="RetryAfter"/>.</summary>
public sealed class QueueFullException(int queueLength, TimeSpan retryAfter)
    : Exception($"the queue is full ({queueLength} requests waiting); retry after {retryAfter.TotalSeconds:0} s")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>A request field is out of range; <see cref="ArgumentException.ParamName"/> is the OpenAI field name
/// (<c>prompt</c>, <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>logprobs</c>, <c>stop</c>,
/// <c>expert_mask</c>) so the HTTP layer can return a validation problem for it.</summary>
public sealed class CompletionValidationException(string field, string message) : ArgumentException(message, field)
{
    public string Field => ParamName!;
    /// <summary>The message without the "(Parameter '…')" suffix that <see cref="ArgumentException"/> appends.</summary>
    public string Detail { get; } = message;
}
