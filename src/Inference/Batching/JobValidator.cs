using ModuleService.Model;

namespace ModuleService.Inference.Batching;

/// <summary>Checks a job against the configured limits and the model before it may queue.</summary>
internal static class JobValidator
{
    /// <summary>OpenAI caps top logprobs at 20 (chat); more would only cost host copies.</summary>
    public const int MaxTopLogprobs = 20;

    public static void Validate(CompletionJob job, ModuleFormerConfig config, InferenceOptions options)
    {
        var prompt = job.PromptTokens;
        Require(prompt is { Length: > 0 }, "prompt", "the prompt has no tokens");
        Require(prompt.Length <= options.MaxPromptTokens, "prompt", $"the prompt has {prompt.Length} tokens, more than the limit of {options.MaxPromptTokens}");
        foreach (var id in prompt)
            Require(id >= 0 && id < config.VocabSize, "prompt", $"token id {id} is outside the vocabulary (0..{config.VocabSize - 1})");
        Require(job.MaxNewTokens >= 0 && job.MaxNewTokens <= options.MaxNewTokens, "max_tokens", $"must be in 0..{options.MaxNewTokens}, got {job.MaxNewTokens}");

        var s = job.Sampling;
        Require(s.Temperature >= 0 && double.IsFinite(s.Temperature), "temperature", $"must be ≥ 0, got {s.Temperature}");
        Require(s.TopP > 0 && s.TopP <= 1, "top_p", $"must be in (0, 1], got {s.TopP}");
        Require(s.TopK >= 0, "top_k", $"must be ≥ 0, got {s.TopK}");
        Require(job.TopLogprobs >= 0 && job.TopLogprobs <= MaxTopLogprobs, "logprobs", $"must be in 0..{MaxTopLogprobs}, got {job.TopLogprobs}");
        Require(job.StopSequences?.All(stop => stop.Length > 0) ?? true, "stop", "a stop sequence is empty");

        if (job.ExpertMask is { } mask) ValidateMask(mask, config);
    }

    private static void ValidateMask(IReadOnlyList<LayerExpertSelection> mask, ModuleFormerConfig config)
    {
        Require(mask.Count == config.Layers, "expert_mask", $"has {mask.Count} layers, the model {config.Layers}");
        for (int layer = 0; layer < mask.Count; layer++)
        {
            CheckKind(mask[layer].Attention, config.AttentionExperts, config.AttentionTopK, layer, "attention");
            CheckKind(mask[layer].Mlp, config.MlpExperts, config.MlpTopK, layer, "mlp");
        }
    }

    private static void CheckKind(bool[]? allowed, int experts, int topK, int layer, string kind)
    {
        if (allowed is null) return;
        Require(allowed.Length == experts, "expert_mask", $"layer {layer} {kind}: {allowed.Length} flags for {experts} experts");
        // The router picks k experts; with fewer allowed it would select masked (−∞) ones.
        int kept = allowed.Count(a => a);
        Require(kept >= topK, "expert_mask", $"layer {layer} {kind}: {kept} experts allowed, fewer than k = {topK}");
    }

    private static void Require(bool ok, string field, string message)
    {
        if (!ok) throw new CompletionValidationException(field, message);
    }
}
