using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>The OpenAI wire format as a plain HTTP client sees it: snake_case JSON bodies and server-sent events.</summary>
internal static partial class OpenAiHttp
{
    /// <summary>Bodies are anonymous objects with snake_case member names, sent as they are.</summary>
    static readonly JsonSerializerOptions Send = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static Task<HttpResponseMessage> PostOpenAiAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, Send);

    /// <summary>POSTs and expects 200 with a JSON object.</summary>
    public static async Task<JsonObject> CompleteAsync(this HttpClient client, object body, string path = "/v1/completions")
    {
        var response = await client.PostOpenAiAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path} gave {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>POSTs a streaming request; returns the chunks (every <c>data:</c> event before <c>[DONE]</c>).</summary>
    public static async Task<List<JsonObject>> StreamAsync(this HttpClient client, object body, string path = "/v1/completions")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Send) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
            Assert.Fail($"POST {path} (stream) gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        var chunks = new List<JsonObject>();
        bool done = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            Assert.False(done, "an event after data: [DONE]");
            var data = line["data: ".Length..];
            if (data == "[DONE]") { done = true; continue; }
            chunks.Add(JsonNode.Parse(data)!.AsObject());
        }
        Assert.True(done, "the stream did not end with data: [DONE]");
        return chunks;
    }

    public static JsonObject Choice(this JsonObject response, int index = 0) =>
        response["choices"]!.AsArray().Select(c => c!.AsObject()).Single(c => (int)c["index"]! == index);

    public static string Text(this JsonObject response, int index = 0) => (string)response.Choice(index)["text"]!;

    /// <summary>Token strings of the id-only tokenizer, <c>&lt;17&gt;</c>, back to ids.</summary>
    public static long[] Ids(string tokenText)
    {
        var matches = IdToken().Matches(tokenText);
        Assert.Equal(tokenText, string.Concat(matches.Select(m => m.Value)));
        return matches.Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>One token string per entry of <c>logprobs.tokens</c>, each a single <c>&lt;id&gt;</c>.</summary>
    public static long[] TokenIds(JsonObject choice) =>
        choice["logprobs"]!["tokens"]!.AsArray().Select(t => Ids((string)t!).Single()).ToArray();

    public static double?[] TokenLogprobs(JsonObject choice) =>
        choice["logprobs"]!["token_logprobs"]!.AsArray().Select(v => v is null ? (double?)null : (double)v).ToArray();

    /// <summary>The problem's <c>error</c> member (OpenAI's error shape): message, type, param, code.</summary>
    public static JsonObject? OpenAiError(string problemBody) => JsonNode.Parse(problemBody)!["error"]?.AsObject();

    [GeneratedRegex(@"<(\d+)>")]
    private static partial Regex IdToken();
}
