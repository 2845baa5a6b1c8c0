using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Tokenizers;
using Xunit;
using Xunit.Abstractions;
using static ModuleService.Api.Tests.Jobs.JobHttp;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>The app with token counting after upload switched on (the test default is off).</summary>
public sealed class DatasetStatsFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public ApiFixture Api { get; } = new(postgres);

    public Task InitializeAsync()
    {
        Api.Settings["Datasets:CountTokensOnUpload"] = "true";
        return Api.InitializeAsync();
    }

    public Task DisposeAsync() => Api.DisposeAsync();
}

/// <summary>The dataset-stats job: queued by an upload or submitted, it records what the tokenizers count.</summary>
[Collection(ApiCollection.Name)]
public sealed class DatasetStatsJobTests(DatasetStatsFixture fixture, ITestOutputHelper output) : IClassFixture<DatasetStatsFixture>
{
    ApiFixture Api => fixture.Api;

    /// <summary>The corpora's documents as the tests wrote them: separated by blank lines, lines within one kept.</summary>
    static string[] Documents(string corpus) => corpus.TrimEnd('\n').Split("\n\n");

    static long Count(string tokenizer, IEnumerable<string> documents) =>
        documents.Sum(d => (long)TokenizerCatalog.Create(tokenizer).Encode(d).Count);

    [Fact]
    public async Task Upload_QueuesACount_ThatMatchesEachTokenizer()
    {
        var corpus = CodeCorpus();
        var response = await Api.Admin.PostAsync("/v1/datasets?name=stats-code&format=text", new StringContent(corpus, Encoding.UTF8, "text/plain"));
        var dataset = await response.ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        var jobId = Assert.Single(response.Headers.GetValues("X-Job-Id"));

        var job = await WaitAsync(Api.Admin, new JsonObject { ["id"] = jobId }, "succeeded", output);

        Assert.Equal("dataset-stats", (string)job["type"]!);
        var view = await Api.GetAsync<JsonObject>($"/v1/datasets/{(string)dataset["id"]!}");
        var tokens = view["tokens"]!.AsArray().ToDictionary(t => (string)t!["tokenizer"]!, t => (long)t!["tokens"]!);
        var documents = Documents(corpus);
        Assert.Equal(40, documents.Length);
        Assert.Equal(TokenizerCatalog.Names.Order(), tokens.Keys.Order());
        foreach (var name in TokenizerCatalog.Names) Assert.Equal(Count(name, documents), tokens[name]);
        Assert.All(view["tokens"]!.AsArray(), t => Assert.Equal(jobId, (string)t!["jobId"]!));
        Assert.Equal(40L, (long)job["artifacts"]!["documents"]!);
        output.WriteLine($"{(long)view["bytes"]!} bytes, 40 documents: {string.Join(", ", tokens.Select(t => $"{t.Value} {t.Key} tokens"))}");
    }

    [Fact]
    public async Task Submitted_WithOneTokenizer_RecordsOnlyThat()
    {
        var corpus = EnglishCorpus();
        var response = await Api.Admin.PostAsync("/v1/datasets?name=stats-english&format=text", new StringContent(corpus, Encoding.UTF8, "text/plain"));
        var dataset = await response.ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        await WaitAsync(Api.Admin, new JsonObject { ["id"] = Assert.Single(response.Headers.GetValues("X-Job-Id")) }, "succeeded", output);

        var job = await WaitAsync(Api.Admin, await SubmitAsync(Api.Admin, new { type = "dataset-stats", dataset = "stats-english", tokenizers = new[] { "tiny-k1024" } }),
            "succeeded", output);

        var counted = Assert.Single(job["artifacts"]!["tokens"]!.AsArray())!;
        Assert.Equal(("tiny-k1024", Count("tiny-k1024", Documents(corpus))), ((string)counted["tokenizer"]!, (long)counted["tokens"]!));
        var view = await Api.GetAsync<JsonObject>($"/v1/datasets/{(string)dataset["id"]!}");
        var latest = view["tokens"]!.AsArray().Single(t => (string)t!["tokenizer"]! == "tiny-k1024")!;
        Assert.Equal((string)job["id"]!, (string)latest["jobId"]!);
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingTheField()
    {
        var jobsBefore = await CountJobsAsync(Api);

        var problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "dataset-stats", dataset = "no-such-dataset" }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-dataset", problem.Detail);
        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "dataset-stats" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("dataset", problem.Target);

        var upload = await Api.Admin.PostAsync("/v1/datasets?name=stats-small&format=text", new StringContent("one document\n", Encoding.UTF8, "text/plain"));
        await upload.ShouldBeAsync<JsonObject>(HttpStatusCode.Created);
        problem = await (await Api.Admin.PostJsonAsync("/v1/jobs", new { type = "dataset-stats", dataset = "stats-small", tokenizers = new[] { "gpt-9" } }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("tokenizers", problem.Target);
        Assert.Contains("tiny-k1024", problem.Detail);

        Assert.Equal(jobsBefore + 1, await CountJobsAsync(Api));   // the upload's own count only
    }
}
