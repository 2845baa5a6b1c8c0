using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>
/// The product as separate processes on one database, like a deployment: a worker is killed (SIGKILL, no chance to
/// clean up) in the middle of a training job; the next worker takes the job over, resumes from its last checkpoint
/// and finishes it, and exactly one assembly version is registered.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WorkerKillTests(PostgresFixture postgres, ITestOutputHelper output)
{
    const int Steps = 60, CheckpointEvery = 5;
    readonly string key = "bootstrap-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task AKilledWorker_sTrainingJob_ResumesFromItsCheckpoint_OnTheNextWorker()
    {
        var connectionString = await postgres.CreateDatabaseAsync("kill");
        using var cache = new TempDir("modsvc-killtest-cache-");

        string id, name = ApiFixture.UniqueName("killed");
        long checkpointStep;
        await using (var first = await AppProcess.StartAsync(connectionString, key, cache.Path, output))
        {
            using var client = first.Client(key);
            var dataset = await JobHttp.UploadAsync(client, "kill-english", JobHttp.EnglishCorpus());
            var submitted = await JobHttp.SubmitAsync(client, new
            {
                type = "pretrain", name, dataset, config = JobHttp.TinyConfig, steps = Steps, checkpointEvery = CheckpointEvery,
                batchSize = 4, sequenceLength = 32, evalTokens = 256,
            });
            id = (string)submitted["id"]!;
            checkpointStep = await JobHttp.WaitForCheckpointAsync(client, id);
            first.Kill();
            output.WriteLine($"killed the worker after the checkpoint at step {checkpointStep}");
        }

        // The killed worker left the job 'running' in our table and claimed in Hangfire's queue.
        Assert.Equal("Running", await ScalarAsync<string>(connectionString, "SELECT status FROM job_runs WHERE id = @id", Guid.Parse(id)));

        await using var second = await AppProcess.StartAsync(connectionString, key, cache.Path, output);
        using var admin = second.Client(key);
        var done = await JobHttp.WaitAsync(admin, new JsonObject { ["id"] = id }, "succeeded", output);

        Assert.Equal(2, (int)done["attempts"]!);
        Assert.Equal(Steps, (long)done["progress"]!["step"]!);
        var events = JsonNode.Parse(await admin.GetStringAsync($"/v1/jobs/{id}/events?limit=1000"))!;
        var resumed = JobHttp.Items(events).Where(e => (string)e["kind"]! == "resumed").ToList();
        var resumedAt = Assert.Single(resumed)["data"]!["step"]!.GetValue<long>();
        Assert.True(resumedAt < Steps);
        output.WriteLine($"resumed at step {resumedAt} on attempt 2; finished at step {Steps}");

        var versions = await ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM assemblies WHERE name = @name", name);
        var served = await admin.PostJsonAsync("/v1/completions", new { model = name, prompt = new[] { 5, 6, 7 }, max_tokens = 4, temperature = 0 });
        // Lost: the dataset written before the kill, the training up to the last checkpoint, the one registered result.
        var corpus = await admin.GetByteArrayAsync("/v1/datasets/kill-english/download");
        int lost = (corpus.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(JobHttp.EnglishCorpus())) ? 0 : 1)
                   + (resumedAt >= checkpointStep ? 0 : 1) + (versions == 1 ? 0 : 1);
        SuiteReport.Record("faults", inputs: 1, faults: 1, errors: served.StatusCode == HttpStatusCode.OK ? 0 : 1, lost);

        Assert.Equal(1, versions);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.True(resumedAt >= checkpointStep, $"resumed at step {resumedAt}, but a checkpoint at step {checkpointStep} existed");
        Assert.Equal(0, lost);   // what is left: the dataset's bytes
    }

    static async Task<T> ScalarAsync<T>(string connectionString, string sql, object parameter)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(sql.Contains("@id") ? "id" : "name", parameter);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
