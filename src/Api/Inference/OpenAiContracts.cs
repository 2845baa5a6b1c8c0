using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModuleService.Api.Inference;

/// <summary>POST /v1/completions, as OpenAI defines it, plus <c>modules</c> (expert masks for this request).</summary>
public sealed class CompletionRequest
{
    [JsonPropertyName("model")] public string? Model { get; set; }
    /// <summary>A string, an array of strings, an array of token ids, or an array of arrays of token ids.</summary>
    [JsonPropertyName("prompt")] public JsonElement Prompt { get; set; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; set; }
    [JsonPropertyName("temperature")] public double? Temperature { get; set; }
    [JsonPropertyName("top_p")] public double? TopP { get; set; }
    [JsonPropertyName("top_k")] public int? TopK { get; set; }
    [JsonPropertyName("n")] public int? N { get; set; }
    /// <summary>A string or up to 4 strings.</summary>
    [JsonPropertyName("stop")] public JsonElement Stop { get; set; }
    [JsonPropertyName("seed")] public long? Seed { get; set; }
    [JsonPropertyName("stream")] public bool? Stream { get; set; }
    /// <summary>Return the log-probability of each token and the N most likely alternatives (0-20).</summary>
    [JsonPropertyName("logprobs")] public int? Logprobs { get; set; }
    [JsonPropertyName("echo")] public bool? Echo { get; set; }
    [JsonPropertyName("user")] public string? User { get; set; }
    [JsonPropertyName("modules")] public ModuleSelection? Modules { get; set; }
}

/// <summary>Experts to switch off (<c>exclude</c>) or the only ones to use (<c>include</c>) for this request:
/// module names such as <c>layer0.attn.expert3</c> or module version ids.</summary>
public sealed class ModuleSelection
{
    [JsonPropertyName("exclude")] public List<string>? Exclude { get; set; }
    [JsonPropertyName("include")] public List<string>? Include { get; set; }
}

public sealed record CompletionResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("system_fingerprint")] string SystemFingerprint,
    [property: JsonPropertyName("choices")] IReadOnlyList<CompletionChoice> Choices,
    [property: JsonPropertyName("usage")] UsageInfo? Usage,
    [property: JsonPropertyName("modules")] ModulesUsed? Modules);

public sealed record CompletionChoice(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("logprobs")] LogprobsInfo? Logprobs,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record LogprobsInfo(
    [property: JsonPropertyName("tokens")] List<string> Tokens,
    [property: JsonPropertyName("token_logprobs")] List<float?> TokenLogprobs,
    [property: JsonPropertyName("top_logprobs")] List<Dictionary<string, float>?> TopLogprobs,
    [property: JsonPropertyName("text_offset")] List<int> TextOffset);

public sealed record UsageInfo(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);

/// <summary>Which experts the request ran with, when it restricted them.</summary>
public sealed record ModulesUsed(
    [property: JsonPropertyName("excluded")] IReadOnlyList<string> Excluded,
    [property: JsonPropertyName("layers")] IReadOnlyList<LayerModules> Layers);

public sealed record LayerModules(
    [property: JsonPropertyName("layer")] int Layer,
    [property: JsonPropertyName("attention")] IReadOnlyList<string> Attention,
    [property: JsonPropertyName("mlp")] IReadOnlyList<string> Mlp);

public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data);

public sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("system_fingerprint")] string SystemFingerprint);
