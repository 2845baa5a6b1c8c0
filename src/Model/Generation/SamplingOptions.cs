namespace ModuleService.Model.Generation;

/// <summary>How one row picks its next token. Temperature 0 is greedy (argmax).</summary>
/// <param name="Temperature">0 = greedy; otherwise logits are divided by it before sampling.</param>
/// <param name="TopK">keep only the K most likely tokens (0 = all).</param>
/// <param name="TopP">nucleus: keep the smallest set whose probability reaches P (1 = all).</param>
/// <param name="Seed">seeds this row's sampler so the same request gives the same text.</param>
public sealed record SamplingOptions(double Temperature = 0, int TopK = 0, double TopP = 1, long? Seed = null)
{
    public static readonly SamplingOptions Greedy = new();

    public bool IsGreedy => Temperature <= 0;

    public void Validate()
    {
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top_k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
    }
}

/// <summary>What a generation call does for every row.</summary>
/// <param name="MaxNewTokens">upper bound of new tokens per row.</param>
/// <param name="EosTokenId">stop a row when it emits this id (the id is not part of the output); null = never.</param>
/// <param name="StopSequences">token-id sequences that end a row; the matched sequence is removed from the output.</param>
/// <param name="TopLogprobs">per token, also return the N most likely alternatives (0 = none).</param>
public sealed record GenerationOptions(
    int MaxNewTokens = 16,
    long? EosTokenId = null,
    IReadOnlyList<long[]>? StopSequences = null,
    int TopLogprobs = 0)
{
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"max new tokens must be ≥ 0, got {MaxNewTokens}");
        if (TopLogprobs < 0) throw new ArgumentException($"top logprobs must be ≥ 0, got {TopLogprobs}");
        if (StopSequences?.Any(s => s.Length == 0) == true) throw new ArgumentException("a stop sequence is empty");
    }
}

/// <summary>Why a row stopped: <c>length</c> (max tokens), <c>stop</c> (EOS, stop sequence or the caller).</summary>
public enum FinishReason { Length, Stop }

/// <summary>One new token, reported as soon as it is chosen (for streaming).</summary>
/// <param name="Row">the batch row it belongs to.</param>
/// <param name="Logprob">log-probability under the model (before temperature, top-k and top-p).</param>
public sealed record GeneratedToken(int Row, int Step, long TokenId, float Logprob, IReadOnlyList<(long TokenId, float Logprob)>? TopLogprobs);

/// <summary>A finished row: its new tokens (without EOS or the matched stop sequence) and why it ended.</summary>
public sealed record GenerationResult(IReadOnlyList<GeneratedToken> Tokens, FinishReason FinishReason)
{
    public long[] TokenIds => Tokens.Select(t => t.TokenId).ToArray();
}
