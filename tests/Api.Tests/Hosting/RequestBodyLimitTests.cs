using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Hosting;

/// <summary>
/// Request bodies are bounded (ModuleService:MaxRequestBodyBytes, 8 MiB) everywhere except the two streaming uploads.
/// Kestrel enforces the limit (a Content-Length over it is refused before the body is read; a chunked body when it
/// passes the limit), and the in-memory test server has no Kestrel, so this runs the app as a process.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RequestBodyLimitTests(PostgresFixture postgres, ITestOutputHelper output)
{
    const int OverLimit = 9 << 20;
    readonly string key = "bootstrap-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task BodiesOverTheLimit_Are413ProblemDetails_ButDatasetUploadsStreamPastIt()
    {
        var connectionString = await postgres.CreateDatabaseAsync("bodylimit");
        using var cache = new TempDir("modsvc-bodylimit-cache-");
        await using var app = await AppProcess.StartAsync(connectionString, key, cache.Path, output);
        using var client = app.Client(key);

        long keysBefore = await CountKeysAsync(connectionString);
        var padded = "{\"name\": \"padded\", \"scopes\": [\"read\"], \"pad\": \"" + new string('a', OverLimit) + "\"}";
        foreach (var path in new[] { "/v1/keys", "/v1/completions", "/v1/jobs" })
        {
            // Expect: 100-continue lets the server refuse before the body is sent, as clients that upload large
            // bodies do; otherwise the client sees its connection closed mid-send instead of the 413.
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(padded, Encoding.UTF8, "application/json") };
            request.Headers.ExpectContinue = true;
            using var response = await client.SendAsync(request);
            await AssertTooLargeAsync(response, path);
        }
        Assert.Equal(keysBefore, await CountKeysAsync(connectionString));

        var text = string.Join("\n\n", Enumerable.Range(0, OverLimit / 60).Select(i => $"Document {i:D7}: a paragraph of plain English words."));
        Assert.True(Encoding.UTF8.GetByteCount(text) > 8 << 20);
        using var upload = await client.PostAsync("/v1/datasets?name=over-the-body-limit&format=text",
            new StringContent(text, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var dataset = JsonNode.Parse(await upload.Content.ReadAsStringAsync())!;
        Assert.Equal(Encoding.UTF8.GetByteCount(text), (long)dataset["bytes"]!);
    }

    static async Task<long> CountKeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM api_keys", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    async Task AssertTooLargeAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal("Content Too Large", (string)problem["title"]!);
        output.WriteLine($"{what}: {body}");
        Assert.Contains("8388608", (string)problem["detail"]!);
    }
}
