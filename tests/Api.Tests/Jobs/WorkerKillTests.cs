using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
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
            checkpointStep = await WaitForCheckpointAsync(client, id);
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
        var resumed = Items(events).Where(e => (string)e["kind"]! == "resumed").ToList();
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

    static IEnumerable<JsonNode> Items(JsonNode events) =>
        (events as JsonArray ?? events["items"]!.AsArray()).Select(e => e!);

    static async Task<long> WaitForCheckpointAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var events = JsonNode.Parse(await client.GetStringAsync($"/v1/jobs/{id}/events?limit=1000"))!;
            var checkpoint = Items(events).LastOrDefault(e => (string)e["kind"]! == "checkpoint");
            if (checkpoint is not null) return checkpoint["data"]!["step"]!.GetValue<long>();
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} wrote no checkpoint within 90 s");
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

/// <summary>The API (role both: HTTP and Hangfire worker) as a child process of the test, on a loopback port.</summary>
sealed class AppProcess : IAsyncDisposable
{
    readonly Process process;
    readonly Uri address;

    AppProcess(Process process, Uri address) => (this.process, this.address) = (process, address);

    public static async Task<AppProcess> StartAsync(string connectionString, string key, string cacheDirectory, ITestOutputHelper output)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ModuleService.Api.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString());
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["ConnectionStrings__Registry"] = connectionString;
        info.Environment["Auth__BootstrapAdminKey"] = key;
        info.Environment["Registry__CacheDirectory"] = cacheDirectory;
        info.Environment["Hangfire__QueuePollInterval"] = "00:00:00.200";
        // A dead worker's job is handed on after this; a live worker's claim slides, so short is safe.
        info.Environment["Hangfire__InvisibilityTimeout"] = "00:00:03";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["DefaultModel__Enabled"] = "false";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log(output, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log(output, e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var app = new AppProcess(process, address);
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"the API exited with code {process.ExitCode} before it was ready");
            try
            {
                if ((await probe.GetAsync("/readyz")).IsSuccessStatusCode) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await app.DisposeAsync();
                throw new TimeoutException("the API was not ready within 120 s");
            }
            await Task.Delay(200);
        }
    }

    static void Log(ITestOutputHelper output, string line)
    {
        try { output.WriteLine("[app] " + line); }
        catch (InvalidOperationException) { /* the test has ended */ }
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no requeue, no lock release by the process itself.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
