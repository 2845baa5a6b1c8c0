using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static ModuleService.Api.Tests.Jobs.JobHttp;

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
            var english = await UploadAsync(Api.Admin, "e2e-english", EnglishCorpus());
            var code = await UploadAsync(Api.Admin, "e2e-code", CodeCorpus());
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
            var submitted = await SubmitAsync(Api.Admin, new
            {
                type = "pretrain", name = "e2e-base", dataset = english, config = TinyConfig,
                steps = 20, batchSize = 4, sequenceLength = 32, evalTokens = 512, evalEvery = 10,
            });
            var job = await WaitAsync(Api.Admin, submitted, "succeeded", output);
            var assembly = job["artifacts"]!["assembly"]!;
            baseModel = (job, (string)assembly["name"]!, (int)assembly["version"]!);
            return baseModel.Value;
        }
        finally { gate.Release(); }
    }
}
