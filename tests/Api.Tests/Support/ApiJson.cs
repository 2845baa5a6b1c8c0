using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Xunit;

namespace ModuleService.Api.Tests.Support;

/// <summary>The wire format of the API: web defaults, enums as camelCase strings.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Asserts the status and an RFC 7807 body, and returns the body's parts.</summary>
    public static async Task<Problem> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.Equal((int)status, (int?)json["status"]);
        var errors = json["errors"]?.AsObject().ToDictionary(e => e.Key, e => e.Value!.AsArray().Select(v => (string)v!).ToArray())
            ?? new Dictionary<string, string[]>();
        return new Problem((string?)json["title"], (string?)json["detail"], (string?)json["target"], errors, body);
    }

    public static async Task<T> ShouldBeAsync<T>(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Options)!;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Options);
}

/// <param name="Errors">ValidationProblem's field → messages (empty for other problems).</param>
public sealed record Problem(string? Title, string? Detail, string? Target, IReadOnlyDictionary<string, string[]> Errors, string Body);
