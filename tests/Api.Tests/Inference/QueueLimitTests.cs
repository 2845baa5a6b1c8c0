using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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

    [Fact]
    public async Task AFullQueue_GivesTheRateLimitChargeBack()
    {
        var model = InferenceFixture.TinyModel;
        var prompt = new[] { 5, 6, 7 };
        using var created = await api.Admin.PostAsJsonAsync("/v1/keys", new { name = "two-per-minute", scopes = new[] { "infer" }, rateLimits = new { requestsPerMinute = 2 } });
        var secret = (string)(await created.ShouldBeAsync<System.Text.Json.Nodes.JsonObject>(HttpStatusCode.Created))["secret"]!;
        using var client = api.Client(secret);
        using var first = await client.SendAsync(StreamRequest(new { model, prompt, max_tokens = 1000, temperature = 0, stream = true }), HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await first.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await events.ReadLineAsync());

        // Both refused by the queue, not by the limit: each got its request back (on a real clock, within the
        // 30 s one request takes to refill).
        for (int i = 0; i < 2; i++)
        {
            using var refused = await client.PostOpenAiAsync("/v1/completions", new { model, prompt, max_tokens = 5 });
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.DoesNotContain("limitValue", problem.Body);
            Assert.Equal(["1"], refused.Headers.GetValues("x-ratelimit-remaining-requests"));
        }
    }

    static HttpRequestMessage StreamRequest(object body) =>
        new(HttpMethod.Post, "/v1/completions") { Content = System.Net.Http.Json.JsonContent.Create(body) };
}
