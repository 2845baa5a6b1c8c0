using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Hangfire;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Tests.Jobs;
using ModuleService.Api.Tests.Support;
using ModuleService.Jobs;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Faults;

/// <summary>
/// Two workers (two app hosts, each with its Hangfire servers) on one database, and one training job handed to
/// both: once as a second Hangfire entry (what a lapsed claim does) and once by calling the job's entry point on
/// the second host while the first runs it. The job's lease lets exactly one execution work.
/// </summary>
[Collection(ApiCollection.Name)]
[Trait("Suite", "faults")]
public sealed class DuplicateJobTests(PostgresFixture postgres, ITestOutputHelper output)
{
    const int Steps = 30;
    readonly string key = "bootstrap-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task AJobHandedToTwoWorkers_RunsOnce_AndTheSecondCopySaysSo()
    {
        var connectionString = await postgres.CreateDatabaseAsync("race");
        using var firstCache = new TempDir("modsvc-race-cache-");
        using var secondCache = new TempDir("modsvc-race-cache-");
        var settings = new Dictionary<string, string?> { ["Hangfire:TrainingWorkers"] = "1" };
        await using var first = new ModuleServiceFactory(connectionString, key, firstCache.Path, settings);
        await using var second = new ModuleServiceFactory(connectionString, key, secondCache.Path, settings);
        using var client = Client(first);
        using var secondClient = Client(second);
        (await client.GetAsync("/readyz")).EnsureSuccessStatusCode();
        (await secondClient.GetAsync("/readyz")).EnsureSuccessStatusCode();   // both hosts, and so both Hangfire servers, run

        var dataset = await JobHttp.UploadAsync(client, "race-english", JobHttp.EnglishCorpus());
        var name = ApiFixture.UniqueName("raced");
        var job = await JobHttp.SubmitAsync(client, new
        {
            type = "pretrain", name, dataset, config = JobHttp.TinyConfig, steps = Steps, checkpointEvery = 10,
            batchSize = 4, sequenceLength = 32, evalTokens = 256,
        });
        var id = Guid.Parse((string)job["id"]!);
        var copy = second.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<TrainingQueueRunner>(r => r.RunAsync(id, CancellationToken.None));

        await WaitForStepAsync(client, id, 1);
        var direct = Stopwatch.StartNew();
        await using (var scope = second.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<TrainingQueueRunner>().RunAsync(id, CancellationToken.None);
        direct.Stop();
        Assert.Equal("running", await OutageProbe.StatusOfAsync(client, $"/v1/jobs/{id}"));
        Assert.True(direct.Elapsed < TimeSpan.FromSeconds(10), $"the second copy took {direct.Elapsed.TotalSeconds:F1} s: it trained instead of standing aside");

        var done = await JobHttp.WaitAsync(client, job, "succeeded", output, FaultTiming.JobTimeout);
        var events = await JobHttp.EventsAsync(client, id.ToString());
        var kinds = events.Select(e => (string)e["kind"]!).ToList();
        output.WriteLine($"direct second call returned in {direct.ElapsedMilliseconds} ms; events: {string.Join(", ", kinds.Where(k => k is not ("loss" or "evaluation")))}");
        // The fault is the second copy; an error is any second run of the work, data lost a missing or doubled result.
        var registered = await ScalarAsync(connectionString, "SELECT count(*) FROM assemblies WHERE name = $1", name);
        SuiteReport.Record("faults", inputs: 2, faults: 1, errors: kinds.Count(k => k == "started") - 1, dataLost: registered == 1 ? 0 : 1);
        Assert.Equal(1, (int)done["attempts"]!);
        Assert.Single(kinds, k => k == "started");
        Assert.Single(kinds, k => k == "succeeded");
        var duplicates = kinds.Count(k => k == "duplicate");
        Assert.InRange(duplicates, 1, 2);   // the direct call, and the Hangfire copy if it ran before the job ended
        var checkpoints = events.Where(e => (string)e["kind"]! == "checkpoint").Select(e => e["data"]!["step"]!.GetValue<long>()).ToList();
        Assert.Equal(checkpoints.Distinct().Count(), checkpoints.Count);

        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM assemblies WHERE name = $1", name));
        var copyState = await WaitForHangfireStateAsync(connectionString, copy);
        output.WriteLine($"{duplicates} 'duplicate' event(s); the Hangfire copy ended '{copyState}'; one assembly '{name}' registered");
        Assert.Equal("Succeeded", copyState);
    }

    HttpClient Client(ModuleServiceFactory factory)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    static async Task WaitForStepAsync(HttpClient client, Guid id, long step)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var events = await JobHttp.EventsAsync(client, id.ToString());
            if (events.Any(e => (string)e["kind"]! == "loss" && e["data"]!["step"]!.GetValue<long>() >= step)) return;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not reach step {step} within 60 s");
            await Task.Delay(100);
        }
    }

    /// <summary>The Hangfire copy's final state: it ran as a no-op, so it succeeds, whichever worker took it.</summary>
    static async Task<string> WaitForHangfireStateAsync(string connectionString, string hangfireId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT statename FROM hangfire.job WHERE id = $1", connection) { Parameters = { new() { Value = long.Parse(hangfireId) } } };
            var state = (string?)await command.ExecuteScalarAsync();
            if (state is "Succeeded" or "Failed" || DateTime.UtcNow > deadline) return state ?? "(none)";
            await Task.Delay(200);
        }
    }

    static async Task<long> ScalarAsync(string connectionString, string sql, object parameter)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = parameter } } };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
