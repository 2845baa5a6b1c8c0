using ModuleService.Inference.Batching;
using ModuleService.Model.Generation;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Api.Inference;

/// <summary>Builds one choice's text and OpenAI <c>logprobs</c> from the engine's events.</summary>
public sealed class ChoiceBuilder(int index, CompletionPlan plan)
{
    readonly TextStops stops = new(plan.Model.Tokenizer, plan.Stops);
    readonly System.Text.StringBuilder text = new();
    readonly LogprobsInfo? logprobs = plan.Logprobs is null ? null : new([], [], [], []);
    int tokenTextLength;
    int logprobsTaken;

    public int Index { get; } = index;
    public ITextTokenizer Tokenizer => plan.Model.Tokenizer;
    public string Text => text.ToString();
    public LogprobsInfo? Logprobs => logprobs;

    /// <summary>The prompt, when echoed: its text and, with logprobs, its tokens (the first has no logprob).</summary>
    public string AddPrompt(IReadOnlyList<PromptTokenLogprob>? tokens)
    {
        var prompt = plan.Prompts[Index / plan.N];
        text.Append(prompt.Text);
        if (logprobs is not null)
            foreach (var token in tokens ?? prompt.Tokens.Select(t => new PromptTokenLogprob(t, null, null)).ToList())
                AddLogprob(token.TokenId, token.Logprob, token.TopLogprobs);
        return prompt.Text;
    }

    /// <summary>Adds a generated token; returns the text now safe to stream.</summary>
    public string AddToken(GeneratedToken token)
    {
        var piece = stops.Push(token.TokenId);
        text.Append(piece);
        if (logprobs is not null && !stops.Stopped) AddLogprob(token.TokenId, token.Logprob, token.TopLogprobs);
        return piece;
    }

    public string Finish()
    {
        var piece = stops.Flush();
        text.Append(piece);
        return piece;
    }

    /// <summary>The logprobs added since the last call (for one streamed chunk).</summary>
    public LogprobsInfo? TakeLogprobs()
    {
        if (logprobs is null) return null;
        int from = logprobsTaken, count = logprobs.Tokens.Count - from;
        logprobsTaken = logprobs.Tokens.Count;
        return new LogprobsInfo(logprobs.Tokens.GetRange(from, count), logprobs.TokenLogprobs.GetRange(from, count),
            logprobs.TopLogprobs.GetRange(from, count), logprobs.TextOffset.GetRange(from, count));
    }

    public static string Reason(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";

    void AddLogprob(long tokenId, float? logprob, IReadOnlyList<(long TokenId, float Logprob)>? top)
    {
        var tokenText = Tokenizer.Decode([(int)tokenId]);
        logprobs!.Tokens.Add(tokenText);
        logprobs.TokenLogprobs.Add(logprob);
        logprobs.TextOffset.Add(tokenTextLength);
        tokenTextLength += tokenText.Length;
        logprobs.TopLogprobs.Add(top is null || logprob is null ? null : top
            .GroupBy(t => Tokenizer.Decode([(int)t.TokenId]))
            .ToDictionary(g => g.Key, g => g.Max(t => t.Logprob)));
    }
}
