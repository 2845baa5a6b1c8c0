namespace ModuleService.Model.Training;

/// <summary>Language-model quality and expert usage on one token sequence.</summary>
/// <param name="Tokens">predicted tokens.</param>
/// <param name="TotalNll">Σ −ln p over the predicted tokens (nats).</param>
/// <param name="Utf8Bytes">bytes of the covered text, if the caller gave them.</param>
/// <param name="Usage">per layer, how the attention and MLP routers used their experts on the same windows.</param>
/// <param name="TokensPerSecond">evaluation throughput (forward only).</param>
public sealed record EvaluationResult(long Tokens, double TotalNll, long? Utf8Bytes, IReadOnlyList<LayerExpertUsage> Usage, double TokensPerSecond)
{
    /// <summary>Mean NLL per token (nats).</summary>
    public double MeanNll => TotalNll / Tokens;

    /// <summary>exp(mean NLL).</summary>
    public double Perplexity => Math.Exp(MeanNll);

    /// <summary>Σ NLL / (ln 2 · UTF-8 bytes): tokenizer-independent, so models with different vocabularies compare.</summary>
    public double? BitsPerByte => Utf8Bytes is > 0 ? TotalNll / (Math.Log(2) * Utf8Bytes.Value) : null;
}
