using System.Net;
using System.Net.Http.Headers;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>With one batch row and no queue (Inference:MaxBatchSize 1, MaxQueueLength 0), concurrent requests
/// beyond the running one get 429 with Retry-After; nothing fails with a 500.</summary>
[Collection(ApiCollection.Name)]
public sealed class QueueLimitTests(TinyQueueFixture api) : IClassFixture<TinyQueueFixture>
{
    [Fact]
    public async Task AFullQueue_Is429WithRetryAfter()
    {
        var body = new { model = InferenceFixture.TinyModel, prompt = new[] { 5, 6, 7 }, max_tokens = 200, temperature = 0 };
        await api.Admin.CompleteAsync(body);                                 // builds the model first

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var client = api.Client(api.BootstrapKey);
            var response = await client.PostOpenAiAsync("/v1/completions", body);
            return (response.StatusCode, response.Headers.RetryAfter, Body: await response.Content.ReadAsStringAsync(),
                response.Content.Headers.ContentType?.MediaType);
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{(int)r.StatusCode}: {r.Body}"));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r =>
        {
            Assert.True(r.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {r.RetryAfter}");
            Assert.Equal("application/problem+json", r.MediaType);
            Assert.Equal("rate_limit_error", (string?)OpenAiHttp.OpenAiError(r.Body)?["type"]);
        });
        var metrics = await api.Admin.GetStringAsync("/metrics");
        Assert.True(CompletionsApiTests.Counter(metrics, "modsvc_inference_requests_total{outcome=\"rejected\"}") >= rejected.Count, metrics);
    }

    [Fact]
    public async Task AFullQueue_RefusesAStreamBeforeItStarts()
    {
        var model = InferenceFixture.TinyModel;
        var prompt = new[] { 5, 6, 7 };
        using var client = api.Client(api.BootstrapKey);
        // A running stream holds the only batch row once its first event has arrived (greedy: this prompt's
        // continuation has no end-of-text within 1000 tokens, so the row stays busy).
        using var first = await client.SendAsync(StreamRequest(new { model, prompt, max_tokens = 1000, temperature = 0, stream = true }), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var events = new StreamReader(await first.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await events.ReadLineAsync());

        using var refused = await client.SendAsync(StreamRequest(new { model, prompt, max_tokens = 5, stream = true }), HttpCompletionOption.ResponseHeadersRead);

        await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {refused.Headers.RetryAfter}");
    }

    static HttpRequestMessage StreamRequest(object body) =>
        new(HttpMethod.Post, "/v1/completions") { Content = System.Net.Http.Json.JsonContent.Create(body) };
}
