using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using Xunit;
using Xunit.Abstractions;
using static ModuleService.Api.Tests.Jobs.JobHttp;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>
/// The finetune job on Hangfire with the tiny pretrained base: load concentration against none with the same seed,
/// frozen modules untouched, new module versions only where weights changed, the result serving; refusals.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FinetuneJobTests(JobsFixture fixture, ITestOutputHelper output) : IClassFixture<JobsFixture>
{
    ApiFixture Api => fixture.Api;

    [Fact]
    public async Task LoadConcentration_LowersMlpUsageEntropy_KeepsFrozenModules_AndTheResultServes()
    {
        var (_, code, assembly, baseAssembly) = await BaseAsync();

        // Both queued at once; the worker runs them one after the other with the same seed and data order. At this scale
        // the routers' usage moves only when the head learns too (with embedding and head frozen the two runs differ by
        // < 0.02 nats), so everything but the attention experts trains; those stay frozen for the hash check.
        string[] modules = ["embedding", "shared", "mlp", "head"];
        var runs = new List<(double Weight, JsonObject Submitted)>();
        foreach (var weight in new[] { 0.0, 0.1 })
            runs.Add((weight, await SubmitAsync(Api.Admin, new
            {
                type = "finetune", assembly, dataset = code, modules,
                loadConcentrationWeight = weight, name = $"ft-lc{weight.ToString(CultureInfo.InvariantCulture)}",
                steps = 40, batchSize = 8, sequenceLength = 32, learningRate = 3e-3, seed = 5, evalTokens = 1024, evalEvery = 20,
            })));

        var entropyAfter = new Dictionary<double, double>();
        foreach (var (weight, submitted) in runs)
        {
            var job = await WaitAsync(Api.Admin, submitted, "succeeded", output);
            var result = job["artifacts"]!;
            var created = result["assembly"]!;
            Assert.Equal("draft", (string)created["stage"]!);
            var finetuned = await Api.GetAssemblyAsync((string)created["name"]!, ((int)created["version"]!).ToString(CultureInfo.InvariantCulture));
            Assert.Equal(baseAssembly.Summary.Id, finetuned.Summary.ParentAssemblyId);

            // The attention experts are the base's very module versions (same sha256); every other module changed, as a
            // new version of the module in the same slot.
            var (baseSlots, newSlots) = (baseAssembly.Manifest.Slots().ToList(), finetuned.Manifest.Slots().ToList());
            Assert.Equal(baseSlots.Count, newSlots.Count);
            foreach (var (before, after) in baseSlots.Zip(newSlots))
            {
                Assert.Equal((before.Kind, before.Layer, before.Position, before.Entry.Module), (after.Kind, after.Layer, after.Position, after.Entry.Module));
                if (before.Kind == ModuleKind.AttentionExpert) Assert.Equal(before.Entry, after.Entry);
                else
                {
                    Assert.NotEqual(before.Entry.Sha256, after.Entry.Sha256);
                    Assert.True(after.Entry.Version > before.Entry.Version, $"{after.Entry.Module}: v{before.Entry.Version} -> v{after.Entry.Version}");
                }
            }
            int frozen = baseAssembly.AttentionExperts * baseAssembly.Manifest.Layers.Count;
            Assert.Equal(frozen, (int)result["modules"]!["frozenVerified"]!);
            Assert.Equal(baseSlots.Count - frozen, result["modules"]!["changed"]!.AsArray().Count);
            Assert.Equal(baseSlots.Count - frozen, result["moduleVersions"]!.AsArray().Count);

            var files = job["files"]!.AsArray().Select(f => (string)f!).ToList();
            Assert.Superset(new HashSet<string> { "report.md", "report.json", "loss.png", "usage-before.png", "usage-after.png" }, files.ToHashSet());
            Assert.Contains("Expert usage per layer", await Api.Admin.GetStringAsync($"/v1/jobs/{(string)job["id"]!}/files/report.md"));

            var reference = $"{(string)created["name"]!}@{(int)created["version"]!}";
            var completion = await (await Api.Admin.PostJsonAsync("/v1/completions", new { model = reference, prompt = "x1 = (", max_tokens = 4 }))
                .ShouldBeAsync<JsonObject>(HttpStatusCode.OK);
            Assert.NotNull((string?)completion["choices"]!.AsArray()[0]!["text"]);

            var validation = result["validation"]!;
            double tokensPerSecond = (double)job["progress"]!["tokensPerSecond"]!;
            Assert.True(tokensPerSecond > 0);
            entropyAfter[weight] = (double)validation["meanMlpEntropyAfter"]!;
            output.WriteLine($"finetune λc={weight}: {reference}, {tokensPerSecond:F0} training tokens/s; perplexity " +
                $"{(double)validation["perplexityBefore"]!:F2} -> {(double)validation["perplexityAfter"]!:F2}; mean MLP usage entropy " +
                $"{(double)validation["meanMlpEntropyBefore"]!:F4} -> {entropyAfter[weight]:F4} nats; per layer after: {validation["usageAfter"]!.ToJsonString()}");
        }
        Assert.True(entropyAfter[0.1] < entropyAfter[0.0], $"entropy after λc=0.1 ({entropyAfter[0.1]:F4}) should be below λc=0 ({entropyAfter[0.0]:F4})");
    }

    [Fact]
    public async Task NamedModules_OnlyThoseChange()
    {
        var (english, code, assembly, baseAssembly) = await BaseAsync();
        var chosen = new[] { "layer1.mlp.expert2", "layer0.attn" };

        var job = await WaitAsync(Api.Admin, await SubmitAsync(Api.Admin, new
        {
            type = "finetune", assembly, dataset = code, validationDataset = english, modules = chosen,
            // Checkpointed: named modules only, so the embedding is frozen and the recomputed blocks carry the gradient.
            name = "ft-named", steps = 8, batchSize = 4, sequenceLength = 32, evalTokens = 512, gradientCheckpointing = true,
        }), "succeeded", output);

        var result = job["artifacts"]!;
        string[] expected = ["layer0.attn.expert0", "layer0.attn.expert1", "layer1.mlp.expert2"];
        Assert.Equal(expected, result["modules"]!["trained"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(expected, result["modules"]!["changed"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(english, (string)result["validation"]!["dataset"]!);
        var created = result["assembly"]!;
        var finetuned = await Api.GetAssemblyAsync((string)created["name"]!, ((int)created["version"]!).ToString(CultureInfo.InvariantCulture));
        var changed = baseAssembly.Manifest.Slots().Zip(finetuned.Manifest.Slots()).Where(p => p.First.Entry != p.Second.Entry)
            .Select(p => p.Second.Entry.Module).Order().ToList();
        Assert.Equal(expected, changed);
        Assert.Equal(baseAssembly.Manifest.Slots().Count() - expected.Length, (int)result["modules"]!["frozenVerified"]!);
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingTheField_AndQueuesNothing()
    {
        var (english, code, assembly, _) = await BaseAsync();
        var jobsBefore = await CountJobsAsync(Api);

        var problem = await Refused(new { type = "finetune", assembly = "no-such-assembly", dataset = code }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-assembly", problem.Detail);
        problem = await Refused(new { type = "finetune", assembly, dataset = "no-such-dataset" }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-dataset", problem.Detail);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, validationDataset = "no-such-validation" }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-validation", problem.Detail);

        problem = await Refused(new { type = "finetune", assembly, dataset = code, modules = new[] { "mlp", "layer0.mlp.expert9" } }, HttpStatusCode.BadRequest);
        Assert.Equal("modules", problem.Target);
        Assert.Contains("layer0.mlp.expert9", problem.Detail);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, modules = new[] { "layer5.mlp" } }, HttpStatusCode.BadRequest);
        Assert.Equal("modules", problem.Target);
        Assert.Contains("2 layers", problem.Detail);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, modules = new[] { Guid.NewGuid().ToString() } }, HttpStatusCode.BadRequest);
        Assert.Equal("modules", problem.Target);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, modules = "mlp" }, HttpStatusCode.BadRequest);
        Assert.Equal("modules", problem.Target);

        problem = await Refused(new { type = "finetune", assembly, dataset = code, loadConcentrationWeight = -1 }, HttpStatusCode.BadRequest);
        Assert.Equal("loadConcentrationWeight", problem.Target);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, learningRate = 5 }, HttpStatusCode.BadRequest);
        Assert.Equal("learningRate", problem.Target);
        problem = await Refused(new { type = "finetune", assembly, dataset = code, gradientCheckpointing = "yes" }, HttpStatusCode.BadRequest);
        Assert.Equal("gradientCheckpointing", problem.Target);
        problem = await Refused(new { type = "finetune", dataset = english }, HttpStatusCode.BadRequest);
        Assert.Equal("assembly", problem.Target);

        var reader = await Api.SharedKeyAsync("finetune-read", "read");
        using var readOnly = Api.Client(reader.Secret);
        Assert.Equal(HttpStatusCode.Forbidden, (await readOnly.PostJsonAsync("/v1/jobs", new { type = "finetune", assembly, dataset = code })).StatusCode);

        Assert.Equal(jobsBefore, await CountJobsAsync(Api));
    }

    /// <summary>The corpora and the pretrained base, as <c>name@version</c> and as the registry has it.</summary>
    async Task<(string English, string Code, string Reference, AssemblyDetail Assembly)> BaseAsync()
    {
        var (english, code) = await fixture.DatasetsAsync();
        var (_, name, version) = await fixture.BaseAsync(output);
        return (english, code, $"{name}@{version}", await Api.GetAssemblyAsync(name, version.ToString(CultureInfo.InvariantCulture)));
    }

    async Task<Problem> Refused(object body, HttpStatusCode status) =>
        await (await Api.Admin.PostJsonAsync("/v1/jobs", body)).ShouldBeProblemAsync(status);
}
