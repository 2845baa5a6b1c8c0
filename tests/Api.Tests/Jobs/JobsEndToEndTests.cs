using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static ModuleService.Api.Tests.Jobs.JobHttp;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>
/// Jobs end to end on Hangfire with tiny models: pretrain → extend (frozen old modules, guard perplexity) → serve →
/// prune (dry run, then for real); refusals at submission; cancelling a running training job.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class JobsEndToEndTests(JobsFixture fixture, ITestOutputHelper output) : IClassFixture<JobsFixture>
{
    ApiFixture Api => fixture.Api;

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
        var jobsBefore = await CountJobsAsync(Api);

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

        Assert.Equal(jobsBefore, await CountJobsAsync(Api));
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
}
