using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModuleService.Api.Inference;

/// <summary>POST /v1/chat/completions. Base models see the messages through <see cref="ChatTemplate"/>.</summary>
public sealed class ChatCompletionRequest
{
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("messages")] public List<ChatMessage>? Messages { get; set; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; set; }
    [JsonPropertyName("max_completion_tokens")] public int? MaxCompletionTokens { get; set; }
    [JsonPropertyName("temperature")] public double? Temperature { get; set; }
    [JsonPropertyName("top_p")] public double? TopP { get; set; }
    [JsonPropertyName("n")] public int? N { get; set; }
    [JsonPropertyName("stop")] public JsonElement Stop { get; set; }
    [JsonPropertyName("seed")] public long? Seed { get; set; }
    [JsonPropertyName("stream")] public bool? Stream { get; set; }
    [JsonPropertyName("user")] public string? User { get; set; }
    [JsonPropertyName("modules")] public ModuleSelection? Modules { get; set; }
}

public sealed class ChatMessage
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

public sealed record ChatCompletionResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("system_fingerprint")] string SystemFingerprint,
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatChoice> Choices,
    [property: JsonPropertyName("usage")] UsageInfo? Usage,
    [property: JsonPropertyName("modules")] ModulesUsed? Modules);

/// <summary>A whole message (<c>message</c>) or, when streaming, a piece of one (<c>delta</c>).</summary>
public sealed record ChatChoice(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatDelta? Message,
    [property: JsonPropertyName("delta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatDelta? Delta,
    [property: JsonPropertyName("finish_reason")] string? FinishReason);

public sealed record ChatDelta(
    [property: JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

/// <summary>
/// The prompt a base (not instruction-tuned) model sees for a chat: an optional system text, then one
/// <c>User:</c> / <c>Assistant:</c> line per message, ending with <c>Assistant:</c> for the model to continue. The
/// reply ends at the model's next <c>\nUser:</c> (added to the stop strings), so it does not write the user's turn.
/// </summary>
public static class ChatTemplate
{
    public const string UserStop = "\nUser:";

    public static string Render(IReadOnlyList<ChatMessage> messages)
    {
        var text = new System.Text.StringBuilder();
        foreach (var message in messages)
        {
            var content = (message.Content ?? "").Trim();
            switch (message.Role)
            {
                case "system" or "developer": text.Append(content).Append("\n\n"); break;
                case "user": text.Append("User: ").Append(content).Append('\n'); break;
                case "assistant": text.Append("Assistant: ").Append(content).Append('\n'); break;
            }
        }
        return text.Append("Assistant:").ToString();
    }
}
