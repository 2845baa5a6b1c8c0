using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using ModuleService.Api.Tests.Jobs;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Hosting;
using Xunit;
using Xunit.Abstractions;
using static ModuleService.Api.Tests.Faults.OutageProbe;

namespace ModuleService.Api.Tests.Faults;

/// <summary>
/// PostgreSQL stopped in immediate mode (no clean shutdown: what a crash or an OOM kill looks like to clients) while
/// requests, streams and a training job run, then started again on the same port. The app is not restarted.
/// The cluster is this class's own: the api collection's shared cluster must stay up for the other classes.
/// </summary>
[Collection(ApiCollection.Name)]
[Trait("Suite", "faults")]
public sealed class DatabaseRestartTests(ITestOutputHelper output)
{
    const int Steps = 30, CheckpointEvery = 5;
    readonly string key = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task WhilePostgresIsDown_RequestsAnswer503_AndAfterItsRestart_RequestsAndTheTrainingJobRecover()
    {
        await using var cluster = await PostgresCluster.InitializeAsync();
        await cluster.StartAsync();
        await cluster.CreateDatabaseAsync("faults");
        var connectionString = cluster.ConnectionString("faults");
        using var cache = new TempDir("modsvc-faults-cache-");
        await using var factory = new ModuleServiceFactory(connectionString, key, cache.Path);
        using var admin = Client(factory, key);
        (await admin.GetAsync("/readyz")).EnsureSuccessStatusCode();

        // Data to protect, a key that is looked up in the database, a job in the middle of training.
        var imported = await (await admin.PostJsonAsync("/v1/imports", new { path = Checkpoints.Fixture(Checkpoints.Tiny), name = "tiny" }))
            .ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        var created = await (await admin.PostJsonAsync("/v1/keys", new { name = "reader", scopes = new[] { "read" } })).ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        using var reader = Client(factory, (string)created["secret"]!);
        var dataset = await JobHttp.UploadAsync(admin, "faults-english", JobHttp.EnglishCorpus());
        var before = await StoredData.CountAsync(connectionString);
        var name = ApiFixture.UniqueName("restarted");
        var job = await JobHttp.SubmitAsync(admin, new
        {
            type = "pretrain", name, dataset, config = JobHttp.TinyConfig, steps = Steps, checkpointEvery = CheckpointEvery,
            batchSize = 4, sequenceLength = 32, evalTokens = 256,
        });
        var id = (string)job["id"]!;
        var checkpoint = await JobHttp.WaitForCheckpointAsync(admin, id);
        var streams = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => OpenStreamAsync(admin)));
        Assert.Equal("running", await StatusOfAsync(admin, $"/v1/jobs/{id}"));

        await cluster.StopAsync(immediate: true);
        var stoppedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"PostgreSQL stopped (immediate) with the job at or after step {checkpoint} and two streams open");

        var unavailable = 0;
        var outage = Stopwatch.StartNew();
        while (outage.Elapsed < TimeSpan.FromSeconds(4))
        {
            await (await TimedAsync(admin, HttpMethod.Get, "/v1/assemblies/tiny/versions/latest")).ShouldBeDatabaseUnavailableAsync("assembly");
            await (await TimedAsync(admin, HttpMethod.Get, $"/v1/jobs/{id}")).ShouldBeDatabaseUnavailableAsync("job");
            await (await TimedAsync(admin, HttpMethod.Post, "/v1/completions", new { model = "tiny", prompt = new[] { 5, 6 }, max_tokens = 2 }))
                .ShouldBeDatabaseUnavailableAsync("completion");
            await (await TimedAsync(admin, HttpMethod.Post, "/v1/jobs", new { type = "evaluate", assembly = "tiny@1", dataset }))
                .ShouldBeDatabaseUnavailableAsync("job submission");
            // A stored key can only be checked in the database: authentication itself answers 503, not 401 or 500.
            await (await TimedAsync(reader, HttpMethod.Get, "/v1/assemblies")).ShouldBeDatabaseUnavailableAsync("stored key");
            unavailable += 5;
            var ready = await TimedAsync(admin, HttpMethod.Get, "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("unready", (string)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["status"]!);
            Assert.Equal(HttpStatusCode.OK, (await TimedAsync(admin, HttpMethod.Get, "/healthz")).StatusCode);
        }
        output.WriteLine($"{unavailable} requests answered 503 'Database unavailable' in {outage.Elapsed.TotalSeconds:F1} s; /readyz 503, /healthz 200");

        // Streams started before the outage need no database: they end normally.
        foreach (var stream in streams) output.WriteLine($"stream ended cleanly after {await ReadToDoneAsync(stream)} chunks");

        await cluster.StartAsync(cluster.Port);
        var recovery = Stopwatch.StartNew();
        while ((await admin.GetAsync("/v1/assemblies/tiny/versions/latest")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(recovery.Elapsed < TimeSpan.FromSeconds(30), "requests did not recover within 30 s of PostgreSQL's restart");
            await Task.Delay(100);
        }
        output.WriteLine($"first success {recovery.ElapsedMilliseconds} ms after PostgreSQL was back");
        // No connection of the old server is reused: every request after the first succeeds too.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/v1/jobs/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/assemblies")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostJsonAsync("/v1/completions", new { model = "tiny", prompt = new[] { 5, 6 }, max_tokens = 2 })).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);

        var done = await JobHttp.WaitAsync(admin, job, "succeeded", output, FaultTiming.JobTimeout);
        var events = await JobHttp.EventsAsync(admin, id);
        Assert.Equal(Steps, (long)done["progress"]!["step"]!);
        Assert.True(done["finishedAt"]!.GetValue<DateTimeOffset>() > stoppedAt, "the job ended before the outage, so it proves nothing");
        output.WriteLine($"job succeeded after {(int)done["attempts"]!} attempt(s); events: " +
            string.Join(", ", events.Select(e => (string)e["kind"]!).Where(k => k is "started" or "resumed" or "succeeded")));

        // Nothing lost, nothing doubled, no bytes damaged.
        var after = await StoredData.CountAsync(connectionString);
        var trained = await (await admin.GetAsync($"/v1/assemblies/{name}/versions/latest")).ShouldBeAsync<AssemblyDetail>(HttpStatusCode.OK);
        var (_, damaged) = await StoredData.CheckEveryBlobAsync(connectionString);
        int lost = damaged.Count + (after.Assemblies == before.Assemblies + 1 ? 0 : 1)
                   + (after.ModuleVersions == before.ModuleVersions + JobHttp.VersionIds(trained.Manifest).Count ? 0 : 1);
        SuiteReport.Record("faults", inputs: unavailable + 10, faults: 1, errors: 0, lost);
        Assert.Equal(before.Assemblies + 1, after.Assemblies);
        Assert.Equal(before.ModuleVersions + JobHttp.VersionIds(trained.Manifest).Count, after.ModuleVersions);
        var blobs = await StoredData.AssertEveryBlobMatchesItsHashAsync(connectionString);
        var tiny = await (await admin.GetAsync("/v1/assemblies/tiny/versions/1")).ShouldBeAsync<AssemblyDetail>(HttpStatusCode.OK);
        Assert.Equal((string)imported["manifestHash"]!, tiny.Summary.ManifestHash);
        output.WriteLine($"assemblies {before.Assemblies} → {after.Assemblies}, module versions {before.ModuleVersions} → {after.ModuleVersions}; {blobs} blobs match their sha256");
        Assert.DoesNotContain(factory.Logs.Lines, l => l.Contains("Unhandled error", StringComparison.Ordinal));
    }

    static HttpClient Client(ModuleServiceFactory factory, string key)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A long sampled completion, streamed; returns once its first chunk has arrived.</summary>
    static async Task<StreamReader> OpenStreamAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = JsonContent.Create(new { model = "tiny", prompt = new[] { 5, 6, 7 }, max_tokens = 120, n = 4, logprobs = 5, seed = 1, stream = true }, options: ApiJson.Options),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: {", await reader.ReadLineAsync());
        return reader;
    }

    static async Task<int> ReadToDoneAsync(StreamReader stream)
    {
        using var _ = stream;
        var chunks = 1;
        string? last = null;
        while (await stream.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            Assert.DoesNotContain("\"error\"", line);
            (last, chunks) = (line, chunks + 1);
        }
        Assert.Equal("data: [DONE]", last);
        return chunks;
    }
}
