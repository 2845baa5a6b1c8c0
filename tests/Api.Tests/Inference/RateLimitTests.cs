using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Tests.Support;
using ModuleService.Inference.Telemetry;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>
/// Per-key limits on the serving endpoints, on a manual clock (defaults: 3 requests and 600 tokens per minute).
/// Every test uses keys of its own, so the budgets of one test never meet another's.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RateLimitTests(RateLimitFixture api) : IClassFixture<RateLimitFixture>
{
    const string Tiny = InferenceFixture.TinyModel;
    static readonly int[] Prompt = [5, 6, 7];

    /// <summary>Reserves 3 prompt tokens + <paramref name="maxTokens"/>.</summary>
    static object Completion(int maxTokens = 2, bool stream = false) =>
        new { model = Tiny, prompt = Prompt, max_tokens = maxTokens, temperature = 0, stream };

    static object Chat => new { model = InferenceFixture.ChatModel, messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 2 };

    [Fact]
    public async Task AKeyOverItsRequestsPerMinute_Gets429WithRetryAfterAndHeaders_WhileAnotherKeyIsServed()
    {
        using var limited = api.Client(await api.CreateKeyAsync("rpm-a", "infer"));
        using var other = api.Client(await api.CreateKeyAsync("rpm-b", "infer"));
        long served = EngineRequests();

        for (int i = 0; i < 3; i++)
        {
            using var ok = await limited.PostOpenAiAsync("/v1/completions", Completion());
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal(("3", $"{2 - i}"), (Header(ok, "x-ratelimit-limit-requests"), Header(ok, "x-ratelimit-remaining-requests")));
            Assert.Equal(("600", $"{600 - 5 * (i + 1)}"), (Header(ok, "x-ratelimit-limit-tokens"), Header(ok, "x-ratelimit-remaining-tokens")));
        }

        // The chat endpoint shares the key's budget, and a stream is refused before it starts.
        foreach (var (path, body) in new[] { ("/v1/chat/completions", Chat), ("/v1/completions", Completion(stream: true)) })
        {
            using var refused = await limited.PostOpenAiAsync(path, body);
            var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
            Assert.Equal(TimeSpan.FromSeconds(20), refused.Headers.RetryAfter?.Delta);   // one request refills in 60 s / 3
            Assert.Equal(("3", "0", "1m0s"), (Header(refused, "x-ratelimit-limit-requests"), Header(refused, "x-ratelimit-remaining-requests"),
                Header(refused, "x-ratelimit-reset-requests")));
            var json = JsonNode.Parse(problem.Body)!;
            Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", (string?)json["type"]);
            Assert.Contains("requests per minute", problem.Title);
            Assert.Contains("3 requests per minute", problem.Detail);
            Assert.Contains("retry after 20 s", problem.Detail);
            Assert.Equal(("requests_per_minute", 3, 20), ((string?)json["limit"], (int?)json["limitValue"], (int?)json["retryAfterSeconds"]));
            Assert.Equal(api.Clock.GetUtcNow().AddMinutes(1), (DateTimeOffset?)json["resetsAt"]);
            var error = OpenAiHttp.OpenAiError(problem.Body)!;
            Assert.Equal(("rate_limit_error", "rate_limit_exceeded"), ((string?)error["type"], (string?)error["code"]));
        }

        Assert.Equal(served + 3, EngineRequests());   // nothing refused reached the engine
        using var otherResponse = await other.PostOpenAiAsync("/v1/completions", Completion());
        Assert.Equal((HttpStatusCode.OK, "2"), (otherResponse.StatusCode, Header(otherResponse, "x-ratelimit-remaining-requests")));
        // /v1/models is not limited.
        using var models = await limited.GetAsync("/v1/models");
        Assert.Equal((HttpStatusCode.OK, false), (models.StatusCode, models.Headers.Contains("x-ratelimit-limit-requests")));
    }

    [Fact]
    public async Task AKeysOwnLimits_BeatTheDefaults_AndAdminsSeeThemOnTheKeyList()
    {
        var (strictId, strict) = await CreateKeyAsync("own-strict", new { requestsPerMinute = 1 });
        var (_, unlimited) = await CreateKeyAsync("own-unlimited", new { requestsPerMinute = 0, tokensPerMinute = 0 });
        var (defaultId, _) = await CreateKeyAsync("own-none", null);
        using var strictClient = api.Client(strict);
        using var unlimitedClient = api.Client(unlimited);

        Assert.Equal(HttpStatusCode.OK, (await strictClient.PostOpenAiAsync("/v1/completions", Completion())).StatusCode);
        using var refused = await strictClient.PostOpenAiAsync("/v1/completions", Completion());
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal((1, TimeSpan.FromSeconds(60)), ((int?)JsonNode.Parse(problem.Body)!["limitValue"], refused.Headers.RetryAfter?.Delta));
        for (int i = 0; i < 5; i++)
        {
            using var ok = await unlimitedClient.PostOpenAiAsync("/v1/completions", Completion());
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.DoesNotContain(ok.Headers, h => h.Key.StartsWith("x-ratelimit-", StringComparison.Ordinal));
        }

        var keys = JsonNode.Parse(await api.Admin.GetStringAsync("/v1/keys"))!.AsArray();
        Assert.Equal(("""{"requestsPerMinute":1,"tokensPerMinute":null}""", """{"requestsPerMinute":1,"tokensPerMinute":600}"""), Limits(keys, strictId));
        Assert.Equal(("""{"requestsPerMinute":null,"tokensPerMinute":null}""", """{"requestsPerMinute":3,"tokensPerMinute":600}"""), Limits(keys, defaultId));

        // Raised by an admin: effective at the key's next request, with what it used still counted.
        using var raised = await api.Admin.PutAsJsonAsync($"/v1/keys/{strictId}/rate-limits", new { requestsPerMinute = 5 });
        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        using var after = await strictClient.PostOpenAiAsync("/v1/completions", Completion());
        Assert.Equal((HttpStatusCode.OK, "5", "3"), (after.StatusCode, Header(after, "x-ratelimit-limit-requests"), Header(after, "x-ratelimit-remaining-requests")));

        var negative = await (await api.Admin.PutAsJsonAsync($"/v1/keys/{strictId}/rate-limits", new { tokensPerMinute = -1 })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["tokensPerMinute"], negative.Errors.Keys);
        var badCreate = await (await api.Admin.PostAsJsonAsync("/v1/keys", new { name = "bad", scopes = new[] { "infer" }, rateLimits = new { requestsPerMinute = -3 } }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["rateLimits.requestsPerMinute"], badCreate.Errors.Keys);
        await (await api.Admin.PutAsJsonAsync($"/v1/keys/{Guid.NewGuid()}/rate-limits", new { requestsPerMinute = 1 })).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheTokenLimit_RefusesARequestWhoseMaxTokensExceedsWhatIsLeft()
    {
        var (_, secret) = await CreateKeyAsync("tpm", new { requestsPerMinute = 0, tokensPerMinute = 100 });
        using var client = api.Client(secret);
        long served = EngineRequests();

        using var first = await client.PostOpenAiAsync("/v1/completions", Completion(maxTokens: 50));   // reserves 53
        Assert.Equal((HttpStatusCode.OK, "100", "47"), (first.StatusCode, Header(first, "x-ratelimit-limit-tokens"), Header(first, "x-ratelimit-remaining-tokens")));
        Assert.False(first.Headers.Contains("x-ratelimit-limit-requests"));   // its requests are unlimited

        using var refused = await client.PostOpenAiAsync("/v1/completions", Completion(maxTokens: 50));
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("tokens per minute", problem.Title);
        Assert.Contains("reserves 53 tokens", problem.Detail);
        Assert.Contains("47 of its 100 tokens per minute", problem.Detail);
        Assert.Equal(TimeSpan.FromSeconds(4), refused.Headers.RetryAfter?.Delta);   // 6 tokens at 100 per minute: 3.6 s
        Assert.Equal(("tokens_per_minute", 100), ((string?)JsonNode.Parse(problem.Body)!["limit"], (int?)JsonNode.Parse(problem.Body)!["limitValue"]));

        using var fits = await client.PostOpenAiAsync("/v1/completions", Completion(maxTokens: 44));   // exactly the 47 left
        Assert.Equal((HttpStatusCode.OK, "0"), (fits.StatusCode, Header(fits, "x-ratelimit-remaining-tokens")));

        api.Clock.Advance(TimeSpan.FromMinutes(1));
        using var tooLarge = await client.PostOpenAiAsync("/v1/completions", Completion(maxTokens: 200));
        var never = await tooLarge.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("can never be admitted", never.Detail);
        Assert.Null(tooLarge.Headers.RetryAfter);                    // waiting would not help
        Assert.Equal(served + 2, EngineRequests());
    }

    [Fact]
    public async Task Limits_RecoverAfterTheWindow()
    {
        var (_, secret) = await CreateKeyAsync("recovering", new { requestsPerMinute = 2 });
        using var client = api.Client(secret);
        for (int i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, (await client.PostOpenAiAsync("/v1/completions", Completion())).StatusCode);
        using var refused = await client.PostOpenAiAsync("/v1/completions", Completion());
        Assert.Equal((HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(30)), (refused.StatusCode, refused.Headers.RetryAfter?.Delta));

        api.Clock.Advance(TimeSpan.FromSeconds(29));
        using var early = await client.PostOpenAiAsync("/v1/completions", Completion());
        Assert.Equal((HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(1)), (early.StatusCode, early.Headers.RetryAfter?.Delta));

        api.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.PostOpenAiAsync("/v1/completions", Completion())).StatusCode);

        api.Clock.Advance(TimeSpan.FromMinutes(1));
        using var recovered = await client.PostOpenAiAsync("/v1/completions", Completion());
        Assert.Equal((HttpStatusCode.OK, "1", "30s"),
            (recovered.StatusCode, Header(recovered, "x-ratelimit-remaining-requests"), Header(recovered, "x-ratelimit-reset-requests")));
    }

    [Fact]
    public async Task SwaggerDescribesTheKeysRateLimits()
    {
        var schemas = JsonNode.Parse(await api.Admin.GetStringAsync("/swagger/v1/swagger.json"))!["components"]!["schemas"]!;

        var key = schemas["KeyResponse"]!["properties"]!.AsObject();
        Assert.True(key.ContainsKey("rateLimits") && key.ContainsKey("effectiveRateLimits"), key.ToJsonString());
        Assert.True(schemas["CreateKeyRequest"]!["properties"]!.AsObject().ContainsKey("rateLimits"));
        foreach (var schema in new[] { "RateLimitSettings", "EffectiveRateLimits" })
            foreach (var field in new[] { "requestsPerMinute", "tokensPerMinute" })
                Assert.Contains("unlimited", (string?)schemas[schema]!["properties"]![field]!["description"] ?? $"{schema}.{field} has no description");
    }

    long EngineRequests()
    {
        var metrics = api.App.Services.GetRequiredService<EngineMetrics>();
        return Enum.GetValues<RequestOutcome>().Sum(metrics.Requests);
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    static (string Own, string Effective) Limits(JsonArray keys, Guid id)
    {
        var key = keys.Single(k => (Guid)k!["id"]! == id)!;
        return (key["rateLimits"]!.ToJsonString(), key["effectiveRateLimits"]!.ToJsonString());
    }

    async Task<(Guid Id, string Secret)> CreateKeyAsync(string name, object? rateLimits)
    {
        using var response = await api.Admin.PostAsJsonAsync("/v1/keys", new { name, scopes = new[] { "infer" }, rateLimits });
        var created = await response.ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        return ((Guid)created["key"]!["id"]!, (string)created["secret"]!);
    }
}

/// <summary>The inference app with default limits of 3 requests and 600 tokens per minute, on a manual clock.</summary>
public sealed class RateLimitFixture(PostgresFixture postgres) : InferenceFixture(postgres)
{
    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:RequestsPerMinute"] = "3",
        ["RateLimits:TokensPerMinute"] = "600",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
