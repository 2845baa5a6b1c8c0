using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry.Assemblies;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>
/// One app and database for the class, two tiny datasets and one tiny pretrained base model shared by the tests
/// (made on first use, so the cancel test does not wait for it).
/// </summary>
public sealed class JobsFixture(PostgresFixture postgres) : IAsyncLifetime
{
    readonly SemaphoreSlim gate = new(1, 1);
    (string English, string Code)? datasets;
    (JsonObject Job, string Name, int Version)? baseModel;

    public ApiFixture Api { get; } = new(postgres);

    public Task InitializeAsync() => Api.InitializeAsync();
    public Task DisposeAsync() => Api.DisposeAsync();

    public async Task<(string English, string Code)> DatasetsAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (datasets is { } d) return d;
            var english = await JobsEndToEndTests.UploadAsync(Api.Admin, "e2e-english", JobsEndToEndTests.EnglishCorpus());
            var code = await JobsEndToEndTests.UploadAsync(Api.Admin, "e2e-code", JobsEndToEndTests.CodeCorpus());
            datasets = (english, code);
            return datasets.Value;
        }
        finally { gate.Release(); }
    }

    /// <summary>The pretrained "e2e-base" assembly (and its job view).</summary>
    public async Task<(JsonObject Job, string Name, int Version)> BaseAsync(ITestOutputHelper output)
    {
        var (english, _) = await DatasetsAsync();
        await gate.WaitAsync();
        try
        {
            if (baseModel is { } b) return b;
            var submitted = await JobsEndToEndTests.SubmitAsync(Api.Admin, new
            {
                type = "pretrain", name = "e2e-base", dataset = english, config = JobsEndToEndTests.TinyConfig,
                steps = 20, batchSize = 4, sequenceLength = 32, evalTokens = 512, evalEvery = 10,
            });
            var job = await JobsEndToEndTests.WaitAsync(Api.Admin, submitted, "succeeded", output);
            var assembly = job["artifacts"]!["assembly"]!;
            baseModel = (job, (string)assembly["name"]!, (int)assembly["version"]!);
            return baseModel.Value;
        }
        finally { gate.Release(); }
    }
}

/// <summary>
/// Jobs end to end on Hangfire with tiny models: pretrain → extend (frozen old modules, guard perplexity) → serve →
/// prune (dry run, then for real); refusals at submission; cancelling a running training job.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class JobsEndToEndTests(JobsFixture fixture, ITestOutputHelper output) : IClassFixture<JobsFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    ApiFixture Api => fixture.Api;

    internal static readonly object TinyConfig = new Dictionary<string, object>
    {
        ["model_type"] = "moduleformer", ["vocab_size"] = 1088, ["n_embd"] = 32, ["n_layer"] = 2, ["n_head"] = 1,
        ["att_hidden"] = 32, ["ffd_hidden"] = 32, ["n_att_experts"] = 2, ["k_att"] = 1, ["n_mlp_experts"] = 4, ["k_mlp"] = 2,
        ["gating_size"] = 8, ["block_size"] = 64, ["history_length"] = 64, ["modsvc_tokenizer"] = "tiny-k1024",
    };

    [Fact]
    public async Task PretrainExtendServePrune_EndToEnd()
    {
        var (english, code) = await fixture.DatasetsAsync();
        var (pretrain, baseName, baseVersion) = await fixture.BaseAsync(output);
        var pretrainId = (string)pretrain["id"]!;
        var files = pretrain["files"]!.AsArray().Select(f => (string)f!).ToList();
        Assert.Contains("report.md", files);
        Assert.Contains("loss.png", files);
        Assert.StartsWith("# Pretrain", await Api.Admin.GetStringAsync($"/v1/jobs/{pretrainId}/files/report.md"));
        var png = await Api.Admin.GetByteArrayAsync($"/v1/jobs/{pretrainId}/files/loss.png");
        Assert.Equal("PNG", Encoding.ASCII.GetString(png, 1, 3));
        var pretrainTps = (double?)pretrain["progress"]!["tokensPerSecond"];
        Assert.True(pretrainTps > 0, $"no tokens/s: {pretrain}");
        Assert.Equal(20L, (long)pretrain["progress"]!["step"]!);
        output.WriteLine($"pretrain: {baseName}@{baseVersion}, {pretrainTps:F0} training tokens/s, train loss {(double?)pretrain["trainLoss"]:F4}, " +
            $"validation loss {(double?)pretrain["validationLoss"]:F4}, perplexity {(double?)pretrain["artifacts"]!["perplexity"]:F2}");
        var baseAssembly = await Api.GetAssemblyAsync(baseName, baseVersion.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(4, baseAssembly.MlpExperts);

        // Extend with two MLP experts per layer on the code-like data, guarding the English data.
        var extend = await WaitAsync(Api.Admin, await SubmitAsync(Api.Admin, new
        {
            type = "extend", assembly = $"{baseName}@{baseVersion}", dataset = code, guardDatasets = new[] { english },
            newMlpExperts = 2, steps = 20, batchSize = 4, sequenceLength = 32, evalTokens = 512, evalEvery = 10,
        }), "succeeded", output);
        var result = extend["artifacts"]!;
        var created = result["assembly"]!;
        string extendedRef = $"{(string)created["name"]!}@{(int)created["version"]!}";
        var extended = await Api.GetAssemblyAsync((string)created["name"]!, ((int)created["version"]!).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(6, extended.MlpExperts);
        Assert.All(extended.Manifest.Layers, layer => Assert.Equal(6, layer.Mlp.Count));
        var baseIds = VersionIds(baseAssembly.Manifest);
        var newIds = VersionIds(extended.Manifest);
        Assert.Subset(newIds, baseIds);
        Assert.Equal(baseIds.Count + 4, newIds.Count);
        // Old experts keep their slots (and hashes) in every layer.
        for (int l = 0; l < baseAssembly.Manifest.Layers.Count; l++)
            Assert.Equal(baseAssembly.Manifest.Layers[l].Mlp, extended.Manifest.Layers[l].Mlp.Take(4));
        Assert.Equal(4, result["moduleVersions"]!.AsArray().Count);
        var guard = Assert.Single(result["guards"]!.AsArray())!;
        Assert.Equal(english, (string)guard["dataset"]!);
        double guardBefore = (double)guard["before"]!, guardAfter = (double)guard["after"]!;
        double targetBefore = (double)result["target"]!["before"]!, targetAfter = (double)result["target"]!["after"]!;
        Assert.True(double.IsFinite(guardBefore) && guardBefore > 1 && double.IsFinite(guardAfter) && guardAfter > 1, result.ToJsonString());
        Assert.True(double.IsFinite(targetBefore) && double.IsFinite(targetAfter), result.ToJsonString());
        var stage = (string)created["stage"]!;
        Assert.Equal(stage == "active", (bool)result["promoted"]!);
        output.WriteLine($"extend: {extendedRef} ({stage}), {(double?)extend["progress"]!["tokensPerSecond"]:F0} training tokens/s; " +
            $"new domain {code} perplexity {targetBefore:F2} -> {targetAfter:F2}; guard {english} perplexity {guardBefore:F2} -> {guardAfter:F2} " +
            $"({(guardAfter / guardBefore - 1) * 100:+0.00;-0.00}%)");
        Assert.Contains("report.md", extend["files"]!.AsArray().Select(f => (string)f!));

        // The new assembly serves completions (draft or active; anything not archived).
        var completion = await (await Api.Admin.PostJsonAsync("/v1/completions", new { model = extendedRef, prompt = "the", max_tokens = 4 }))
            .ShouldBeAsync<JsonObject>(HttpStatusCode.OK);
        var choice = completion["choices"]!.AsArray()[0]!;
        Assert.NotNull((string?)choice["text"]);
        output.WriteLine($"completion from {extendedRef}: \"the\" -> \"{(string?)choice["text"]}\"");

        // Prune back to 4 MLP experts per layer: a dry run plans, then the real run registers.
        var dry = await WaitAsync(Api.Admin, await SubmitAsync(Api.Admin, new
        {
            type = "prune", assembly = extendedRef, dataset = code, keepMlpExperts = 4, dryRun = true, sequenceLength = 32, maxTokens = 1024,
        }), "succeeded", output);
        var plan = dry["artifacts"]!;
        Assert.True((bool)plan["dryRun"]!);
        Assert.Equal(4, (int)plan["droppedCount"]!);
        Assert.Null(plan["assembly"]);
        Assert.All(plan["keptPerLayer"]!.AsArray(), kept => Assert.Equal(4, kept!.AsArray().Count));
        output.WriteLine($"prune plan (dry run): drop {(int)plan["droppedCount"]!} of {newIds.Count(_ => true)} module versions " +
            $"[{string.Join(", ", plan["dropped"]!.AsArray().Select(d => (string)d!))}], {(long)plan["bytesSaved"]!:N0} bytes saved, " +
            $"perplexity {(double)plan["perplexityBefore"]!:F2} -> {(double)plan["perplexityAfter"]!:F2}, kept per layer {plan["keptPerLayer"]!.ToJsonString()}");
        Assert.True((long)plan["bytesSaved"]! > 0);
        var latestAfterDryRun = await Api.GetAssemblyAsync((string)created["name"]!);
        Assert.Equal((int)created["version"]!, latestAfterDryRun.Summary.Version);

        var prune = await WaitAsync(Api.Admin, await SubmitAsync(Api.Admin, new
        {
            type = "prune", assembly = extendedRef, dataset = code, keepMlpExperts = 4, dryRun = false, sequenceLength = 32, maxTokens = 1024,
        }), "succeeded", output);
        var pruned = prune["artifacts"]!["assembly"]!;
        Assert.Equal(4, (int)prune["artifacts"]!["droppedCount"]!);
        var prunedAssembly = await Api.GetAssemblyAsync((string)pruned["name"]!, ((int)pruned["version"]!).ToString(CultureInfo.InvariantCulture));
        Assert.True(prunedAssembly.Summary.Version > (int)created["version"]!);
        Assert.Equal(4, prunedAssembly.MlpExperts);
        Assert.All(prunedAssembly.Manifest.Layers, layer => Assert.Equal(4, layer.Mlp.Count));
        Assert.Subset(newIds, VersionIds(prunedAssembly.Manifest));
        output.WriteLine($"prune: registered {(string)pruned["name"]!}@{(int)pruned["version"]!} with {prunedAssembly.MlpExperts} MLP experts per layer");
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingTheField_AndQueuesNothing()
    {
        var (english, code) = await fixture.DatasetsAsync();
        var (_, baseName, baseVersion) = await fixture.BaseAsync(output);
        var jobsBefore = await CountJobsAsync();

        var problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "extend", assembly = "no-such-assembly", dataset = code }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-assembly", problem.Detail);

        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "pretrain", name = "e2e-x", dataset = "no-such-dataset", config = TinyConfig }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-dataset", problem.Detail);

        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "prune", assembly = $"{baseName}@{baseVersion}", dataset = english, keepMlpExperts = 1 }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("keepMlpExperts", problem.Target);
        Assert.Contains("k_mlp = 2", problem.Detail);

        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "frobnicate" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("type", problem.Target);
        Assert.Contains("pretrain", problem.Detail);

        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { name = "no-type" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.Errors.ContainsKey("type"), problem.Body);

        var reader = await Api.SharedKeyAsync("jobs-read", "read");
        using var readOnly = Api.Client(reader.Secret);
        var forbidden = await readOnly.PostJsonAsync("/v1/jobs", new { type = "extend", assembly = $"{baseName}@{baseVersion}", dataset = code });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        Assert.Equal(jobsBefore, await CountJobsAsync());
    }

    [Fact]
    public async Task Cancel_RunningPretrain_EndsCancelled_AndRegistersNothing()
    {
        var (english, _) = await fixture.DatasetsAsync();
        var name = ApiFixture.UniqueName("e2e-cancel");
        var submitted = await SubmitAsync(Api.Admin, new
        {
            type = "pretrain", name, dataset = english, config = TinyConfig, steps = 100_000, batchSize = 4, sequenceLength = 32, evalTokens = 256,
        });
        var id = (string)submitted["id"]!;
        var running = await WaitAsync(Api.Admin, submitted, "running", output);
        Assert.Equal("running", (string)running["status"]!);

        var cancel = await (await Api.Admin.PostAsync($"/v1/jobs/{id}/cancel", null)).ShouldBeAsync<JsonObject>(HttpStatusCode.OK);
        Assert.Contains((string)cancel["status"]!, new[] { "cancelling", "cancelled" });
        var ended = await WaitAsync(Api.Admin, submitted, "cancelled", output);
        Assert.True((long)ended["progress"]!["step"]! < 100_000);
        output.WriteLine($"cancel: stopped at step {(long)ended["progress"]!["step"]!} of 100000");
        var events = (await Api.Admin.GetStringAsync($"/v1/jobs/{id}/events"));
        Assert.Contains("\"cancel\"", events);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Admin.GetAsync($"/v1/assemblies/{name}/versions/latest")).StatusCode);
        await (await Api.Admin.PostAsync($"/v1/jobs/{id}/cancel", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    static HashSet<Guid> VersionIds(Manifest manifest) =>
        [manifest.Embedding.VersionId, manifest.Head.VersionId,
         .. manifest.Layers.SelectMany(l => new[] { l.Shared }.Concat(l.Attention).Concat(l.Mlp)).Select(e => e.VersionId)];

    async Task<long> CountJobsAsync()
    {
        await using var connection = new NpgsqlConnection(Api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM job_runs", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task<string> UploadAsync(HttpClient client, string name, string text)
    {
        var response = await client.PostAsync($"/v1/datasets?name={name}&format=text", new StringContent(text, Encoding.UTF8, "text/plain"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(40L, (long)body["documents"]!);
        return (string)body["name"]!;
    }

    internal static async Task<JsonObject> SubmitAsync(HttpClient client, object body)
    {
        var response = await client.PostJsonAsync("/v1/jobs", body);
        var job = await response.ShouldBeAsync<JsonObject>(HttpStatusCode.Accepted);
        Assert.Equal($"/v1/jobs/{(string)job["id"]!}", response.Headers.Location?.OriginalString);
        Assert.Equal("queued", (string)job["status"]!);
        return job;
    }

    /// <summary>Polls the job until it reaches <paramref name="status"/>; fails at once (with error and events) if it ends otherwise.</summary>
    internal static async Task<JsonObject> WaitAsync(HttpClient client, JsonObject submitted, string status, ITestOutputHelper output)
    {
        var id = (string)submitted["id"]!;
        var deadline = DateTime.UtcNow + JobTimeout;
        while (true)
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/v1/jobs/{id}"))!.AsObject();
            var current = (string)job["status"]!;
            if (current == status) return job;
            bool ended = current is "succeeded" or "failed" or "cancelled";
            if (ended || DateTime.UtcNow > deadline)
            {
                var events = await client.GetStringAsync($"/v1/jobs/{id}/events");
                output.WriteLine($"job {id} ({(string)job["type"]!}): {job.ToJsonString()}\nevents: {events}");
                Assert.Fail($"job {id} ({(string)job["type"]!}) is {current}, expected {status}; error: {(string?)job["error"]}; events: {events}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>40 English-like documents of 2–4 sentences (deterministic).</summary>
    internal static string EnglishCorpus()
    {
        string[] subjects = ["the cat", "a small dog", "the old man", "my sister", "the teacher", "a farmer", "the children", "our neighbour"];
        string[] verbs = ["walks to", "looks at", "talks about", "finds", "likes", "reads about", "waits for", "thinks of"];
        string[] objects = ["the river", "a green garden", "the market", "an old book", "the quiet house", "the morning light", "a long road", "the school"];
        var random = new Random(7);
        var docs = Enumerable.Range(0, 40).Select(_ => string.Join(" ", Enumerable.Range(0, random.Next(2, 5)).Select(_ =>
        {
            var s = $"{subjects[random.Next(subjects.Length)]} {verbs[random.Next(verbs.Length)]} {objects[random.Next(objects.Length)]}.";
            return char.ToUpperInvariant(s[0]) + s[1..];
        })));
        return string.Join("\n\n", docs) + "\n";
    }

    /// <summary>40 code-like documents: digits, operators and brackets (deterministic).</summary>
    internal static string CodeCorpus()
    {
        var random = new Random(11);
        var docs = Enumerable.Range(0, 40).Select(d => string.Join("\n", Enumerable.Range(0, random.Next(2, 5)).Select(i =>
            $"x{random.Next(10)} = (y{random.Next(10)} + {random.Next(100)}) * [{random.Next(10)}, {random.Next(10)}]; // 0x{random.Next(256):x2} #{d}.{i}")));
        return string.Join("\n\n", docs) + "\n";
    }
}
