using System.Text.Json;
using ModuleService.Model.Tokenizers;

namespace ModuleService.Api.Inference;

/// <summary>One prompt as text (for echo) and token ids.</summary>
public sealed record ParsedPrompt(string Text, long[] Tokens);

/// <summary>OpenAI's four prompt forms: a string, strings, token ids, or arrays of token ids.</summary>
public static class PromptParser
{
    public static IReadOnlyList<ParsedPrompt> Parse(JsonElement prompt, ITextTokenizer tokenizer)
    {
        var prompts = prompt.ValueKind switch
        {
            JsonValueKind.String => [FromText(prompt.GetString()!, tokenizer, "prompt")],
            JsonValueKind.Array when prompt.GetArrayLength() == 0 => throw new RequestFieldException("prompt", "is empty"),
            JsonValueKind.Array when prompt[0].ValueKind == JsonValueKind.Number => [FromIds(prompt, tokenizer, "prompt")],
            JsonValueKind.Array => prompt.EnumerateArray().Select((p, i) => p.ValueKind switch
            {
                JsonValueKind.String => FromText(p.GetString()!, tokenizer, $"prompt[{i}]"),
                JsonValueKind.Array => FromIds(p, tokenizer, $"prompt[{i}]"),
                _ => throw new RequestFieldException($"prompt[{i}]", "must be a string or an array of token ids"),
            }).ToList(),
            JsonValueKind.Undefined or JsonValueKind.Null => throw new RequestFieldException("prompt", "is required"),
            _ => throw new RequestFieldException("prompt", "must be a string, an array of strings, an array of token ids or an array of arrays of token ids"),
        };
        return prompts;
    }

    static ParsedPrompt FromText(string text, ITextTokenizer tokenizer, string field)
    {
        IReadOnlyList<int> ids;
        try { ids = tokenizer.Encode(text); }
        catch (FormatException e) { throw new RequestFieldException(field, $"{e.Message} (this model has no tokenizer: send token ids)"); }
        return new ParsedPrompt(text, WithStart(ids.Select(i => (long)i).ToArray(), tokenizer, field));
    }

    static ParsedPrompt FromIds(JsonElement array, ITextTokenizer tokenizer, string field)
    {
        var ids = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var id) || id < 0 || id >= tokenizer.VocabSize)
                throw new RequestFieldException($"{field}[{i}]", $"must be a token id in [0, {tokenizer.VocabSize})");
            ids[i++] = id;
        }
        ids = WithStart(ids, tokenizer, field);
        return new ParsedPrompt(tokenizer.Decode(ids.Select(x => (int)x)), ids);
    }

    /// <summary>An empty prompt starts from end-of-text, as GPT-2-style models were trained to continue it.</summary>
    static long[] WithStart(long[] ids, ITextTokenizer tokenizer, string field) =>
        ids.Length > 0 ? ids
        : tokenizer.EndOfTextId >= 0 ? [tokenizer.EndOfTextId]
        : throw new RequestFieldException(field, "is empty and this model has no end-of-text token to start from");

    /// <summary><c>stop</c>: null, a string, or up to four strings.</summary>
    public static IReadOnlyList<string> ParseStop(JsonElement stop) => stop.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => [],
        JsonValueKind.String => NonEmpty([stop.GetString()!]),
        JsonValueKind.Array when stop.GetArrayLength() <= 4 && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
            NonEmpty(stop.EnumerateArray().Select(s => s.GetString()!).ToList()),
        _ => throw new RequestFieldException("stop", "must be a string or an array of at most 4 strings"),
    };

    static IReadOnlyList<string> NonEmpty(IReadOnlyList<string> stops) =>
        stops.Any(s => s.Length == 0) ? throw new RequestFieldException("stop", "stop strings must not be empty") : stops;
}
