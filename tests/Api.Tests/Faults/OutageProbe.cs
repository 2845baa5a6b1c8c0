using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Faults;

/// <summary>Requests sent while PostgreSQL is down: each must end within a bound, and as a 503 ProblemDetails that says why.</summary>
internal static class OutageProbe
{
    /// <summary>Longer than an answer to a refused connection could ever take, far shorter than a hung request.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static async Task<HttpResponseMessage> TimedAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body, options: ApiJson.Options);
        using var timeout = new CancellationTokenSource(Bound * 2);
        var watch = Stopwatch.StartNew();
        var response = await client.SendAsync(request, timeout.Token);
        await response.Content.LoadIntoBufferAsync();
        Assert.True(watch.Elapsed < Bound, $"{method} {url} took {watch.Elapsed.TotalSeconds:F1} s while the database was down");
        return response;
    }

    /// <summary>Asserts the database-unavailable answer: 503, problem+json titled so, and a Retry-After.</summary>
    public static async Task ShouldBeDatabaseUnavailableAsync(this HttpResponseMessage response, string what)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(problem.Title == "Database unavailable", $"{what}: {problem.Body}");
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{what}: no Retry-After");
    }

    public static async Task<string> StatusOfAsync(HttpClient client, string url) =>
        (string)JsonNode.Parse(await client.GetStringAsync(url))!["status"]!;
}

internal static class FaultTiming
{
    /// <summary>
    /// A 30-step tiny pretrain takes seconds on a quiet machine; on one shared with benchmarks (load 40 on two cores
    /// was seen) it took minutes. The bound only keeps a stuck job from hanging the suite.
    /// </summary>
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);
}
