using System.Net;
using System.Text;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>
/// Issue acceptance: bad input (unknown model, excluding so many experts that fewer than k remain, prompt over the
/// limit, malformed JSON, wrong types) gets a 4xx ProblemDetails naming the field — never a 500. The field is in
/// <c>target</c>, in <c>errors</c> (400) and, for OpenAI clients, in <c>error.param</c>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(InferenceFixture api) : IClassFixture<InferenceFixture>
{
    const string Completions = "/v1/completions";
    const string Chat = "/v1/chat/completions";
    const string Tiny = InferenceFixture.TinyModel;
    const string ChatModel = InferenceFixture.ChatModel;

    /// <summary>(path, raw body, status, field). Bodies are raw text so that malformed JSON can be sent.</summary>
    public static TheoryData<string, string, int, string> Cases()
    {
        string longPrompt = "[" + string.Join(",", Enumerable.Repeat("5", 2049)) + "]";
        string allButOneAttention = string.Join(",", Enumerable.Range(0, 3).Select(e => $"\"layer1.attn.expert{e}\""));
        return new TheoryData<string, string, int, string>
        {
            // unknown or malformed model
            { Completions, """{"model": "no-such-model", "prompt": [5]}""", 404, "model" },
            { Completions, $$"""{"model": "{{Tiny}}@7", "prompt": [5]}""", 404, "model" },
            { Completions, $$"""{"model": "{{Tiny}}@x", "prompt": [5]}""", 400, "model" },
            { Completions, """{"model": "@", "prompt": [5]}""", 400, "model" },
            { Completions, """{"prompt": [5]}""", 400, "model" },
            { Completions, """{"model": 5, "prompt": [5]}""", 400, "model" },
            { Chat, """{"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}""", 404, "model" },
            // expert masks
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "modules": {"exclude": [{{allButOneAttention}}]} }""", 400, "modules" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "modules": {"include": ["layer0.mlp.expert1"]} }""", 400, "modules" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "modules": {"exclude": ["layer9.mlp.expert1"]} }""", 400, "modules.exclude" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "modules": {"exclude": "layer0.mlp.expert1"} }""", 400, "modules.exclude" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "modules": 3}""", 400, "modules" },
            // prompt: over the limit, out of the vocabulary, wrong shapes, text for an id-only model
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": {{longPrompt}} }""", 400, "prompt" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5, 512]}""", 400, "prompt[1]" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5, -1]}""", 400, "prompt[1]" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5, "six"]}""", 400, "prompt[1]" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [[5], 6]}""", 400, "prompt[1]" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": []}""", 400, "prompt" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": {"ids": [5]} }""", 400, "prompt" },
            { Completions, $$"""{"model": "{{Tiny}}"}""", 400, "prompt" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": "hello"}""", 400, "prompt" },
            // malformed JSON and bodies that are not a request
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5],""", 400, "body" },
            { Completions, """[1, 2]""", 400, "body" },
            { Completions, """null""", 400, "body" },
            { Completions, "", 400, "body" },
            { Chat, """{"model": """, 400, "model" },                             // names where the JSON broke off
            { Chat, """{"model": "x", "messages": [{"role": "user", "content": "hi"}""", 400, "messages[1]" },
            // wrong types and out-of-range values
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "max_tokens": "ten"}""", 400, "max_tokens" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "max_tokens": 1.5}""", 400, "max_tokens" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "max_tokens": 0}""", 400, "max_tokens" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "max_tokens": 100000}""", 400, "max_tokens" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "temperature": "hot"}""", 400, "temperature" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "temperature": 2.5}""", 400, "temperature" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "top_p": 0}""", 400, "top_p" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "top_k": -3}""", 400, "top_k" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "n": 0}""", 400, "n" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "n": "2"}""", 400, "n" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [[5], [6], [7], [8]], "n": 1073741824}""", 400, "n" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "logprobs": 21}""", 400, "logprobs" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "logprobs": true}""", 400, "logprobs" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "echo": "yes"}""", 400, "echo" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "stream": 1}""", 400, "stream" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "seed": "abc"}""", 400, "seed" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "stop": 7}""", 400, "stop" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "stop": ["a", "b", "c", "d", "e"]}""", 400, "stop" },
            { Completions, $$"""{"model": "{{Tiny}}", "prompt": [5], "stop": [""]}""", 400, "stop" },
            // chat
            { Chat, $$"""{"model": "{{ChatModel}}"}""", 400, "messages" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": []}""", 400, "messages" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": "hi"}""", 400, "messages" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [null]}""", 400, "messages[0]" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [{"role": "robot", "content": "hi"}]}""", 400, "messages[0].role" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [{"role": "user", "content": 5}]}""", 400, "messages[0].content" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [{"role": "user", "content": "{{new string('a', 20000)}}"}]}""", 400, "messages" },
            { Chat, $$"""{"model": "{{Tiny}}", "messages": [{"role": "user", "content": "hi"}]}""", 400, "messages" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}""", 400, "max_tokens" },
            { Chat, $$"""{"model": "{{ChatModel}}", "messages": [{"role": "user", "content": "hi"}], "temperature": []}""", 400, "temperature" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_Is4xxProblemNamingTheField(string path, string body, int status, string field)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await api.Admin.PostAsync(path, content);

        var problem = await response.ShouldBeProblemAsync((HttpStatusCode)status);
        if (status == 400)
        {
            Assert.Equal(field, problem.Target);
            Assert.True(problem.Errors.ContainsKey(field), problem.Body);
        }
        else
            Assert.Contains(field, problem.Detail);
        var error = OpenAiHttp.OpenAiError(problem.Body);
        Assert.True(error is not null, problem.Body);
        Assert.Equal(field, (string?)error["param"]);
        Assert.False(string.IsNullOrEmpty((string?)error["message"]), problem.Body);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
    }

    [Theory]
    [InlineData(Completions)]
    [InlineData(Chat)]
    public async Task ABodyThatIsNotJson_Is415(string path)
    {
        using var content = new StringContent($$"""{"model": "{{Tiny}}", "prompt": [5]}""", Encoding.UTF8, "text/plain");

        await (await api.Admin.PostAsync(path, content)).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task StreamingRequests_AreValidatedBeforeTheStreamStarts()
    {
        using var content = new StringContent($$"""{"model": "{{Tiny}}", "prompt": [5, 999], "stream": true}""", Encoding.UTF8, "application/json");

        var problem = await (await api.Admin.PostAsync(Completions, content)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal("prompt[1]", problem.Target);
    }
}
