using ModuleService.Inference.Batching;
using ModuleService.Model.Generation;

namespace ModuleService.Api.Inference;

/// <summary>A validated completion request: one engine job per (prompt, choice), in OpenAI's choice order.</summary>
public sealed record CompletionPlan(ServedModel Model, IReadOnlyList<ParsedPrompt> Prompts, int N, int MaxTokens,
    SamplingOptions Sampling, IReadOnlyList<string> Stops, int? Logprobs, bool Echo, ModulesUsed? Modules,
    IReadOnlyList<LayerExpertSelection>? Mask)
{
    public const int MaxChoices = 64;

    public static CompletionPlan From(CompletionRequest request, ServedModel model, IReadOnlyList<string>? extraStops = null)
    {
        var prompts = PromptParser.Parse(request.Prompt, model.Tokenizer);
        int n = request.N ?? 1;
        if (n < 1 || (long)n * prompts.Count > MaxChoices) throw new RequestFieldException("n", $"n × prompts must be in 1..{MaxChoices}");
        int maxTokens = request.MaxTokens ?? 16;
        bool echo = request.Echo ?? false;
        if (maxTokens < 0 || (maxTokens == 0 && !echo)) throw new RequestFieldException("max_tokens", "must be ≥ 1 (0 only with echo)");
        if (request.Logprobs is < 0 or > 20) throw new RequestFieldException("logprobs", "must be in 0..20");
        double temperature = request.Temperature ?? 1.0;
        if (temperature is < 0 or > 2 || double.IsNaN(temperature)) throw new RequestFieldException("temperature", "must be in [0, 2]");
        double topP = request.TopP ?? 1.0;
        if (!(topP is > 0 and <= 1)) throw new RequestFieldException("top_p", "must be in (0, 1]");
        if (request.TopK is < 0) throw new RequestFieldException("top_k", "must be ≥ 0");
        var stops = PromptParser.ParseStop(request.Stop).Concat(extraStops ?? []).ToList();
        var selection = ExpertSelection.From(request.Modules, model);
        var sampling = new SamplingOptions(temperature, request.TopK ?? 0, topP, request.Seed);
        return new CompletionPlan(model, prompts, n, maxTokens, sampling, stops, request.Logprobs, echo, selection?.Used, selection?.Mask);
    }

    /// <summary>The job of choice <paramref name="index"/>; with a seed, choice i samples with seed + i so that n
    /// choices differ yet the whole response is reproducible.</summary>
    public CompletionJob Job(int index, TextStops stops, CancellationToken aborted) => new()
    {
        PromptTokens = Prompts[index / N].Tokens,
        Sampling = Sampling.Seed is long seed ? Sampling with { Seed = seed + index } : Sampling,
        MaxNewTokens = MaxTokens,
        EosTokenId = Model.Tokenizer.EndOfTextId >= 0 ? Model.Tokenizer.EndOfTextId : null,
        StopAfterToken = Stops.Count == 0 ? null : token => { stops.Push(token); return stops.Stopped; },
        TopLogprobs = Logprobs ?? 0,
        Echo = Echo,
        ExpertMask = Mask,
        CancellationToken = aborted,
    };

    public int Choices => Prompts.Count * N;

    /// <summary>
    /// What the request is charged against its key's tokens-per-minute budget at admission: prompt tokens (once
    /// per prompt, as usage counts them) plus max_tokens for every choice. Charging the worst case before anything
    /// runs is what lets a refusal come before any work, and keeps concurrent requests from overshooting the
    /// budget together; the price is that unused max_tokens are not given back (as with OpenAI's limits).
    /// </summary>
    public int ReservedTokens => (int)Math.Min(int.MaxValue, Prompts.Sum(p => (long)p.Tokens.Length) + (long)Choices * MaxTokens);
}
