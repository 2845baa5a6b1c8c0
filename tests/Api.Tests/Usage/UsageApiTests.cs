using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Api.Tests.Support;
using ModuleService.Api.Usage;
using ModuleService.Inference.Telemetry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Usage;
using Xunit;

namespace ModuleService.Api.Tests.Usage;

/// <summary>
/// Expert usage from the engine's tally to the API: counts are fed into the app's real <see cref="ExpertUsage"/>
/// singleton (as served traffic would), flushed and read back over HTTP.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UsageApiTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    // The tiny fixture: 2 layers, 4 attention and 8 MLP experts, k_att = k_mlp = 2.
    const int Layers = 2, AttentionExperts = 4, MlpExperts = 8;

    string name = "";
    AssemblyDetail assembly = null!;
    HttpClient reader = null!;

    ExpertUsage Usage => api.Factory.Services.GetRequiredService<ExpertUsage>();

    public async Task InitializeAsync()
    {
        name = ApiFixture.UniqueName("usage");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name);
        assembly = await api.GetAssemblyAsync(name);
        reader = api.Client((await api.SharedKeyAsync("usage-reader", "read")).Secret);
    }

    public Task DisposeAsync()
    {
        reader.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task FlushedUsage_IsReadablePerLayerWithMeanGateShareAndModule()
    {
        var since = await FlushAsync();   // earlier tests' counts belong to earlier windows
        // 10 tokens: each picks 2 attention and 2 MLP experts per layer.
        Usage.Record(assembly.Summary.ManifestHash, Tally(
            (ExpertKind.Attention, 0, 0, 10, 6.0), (ExpertKind.Attention, 0, 1, 10, 4.0),
            (ExpertKind.Attention, 1, 2, 10, 5.0), (ExpertKind.Attention, 1, 3, 10, 5.0),
            (ExpertKind.Mlp, 0, 3, 10, 8.0), (ExpertKind.Mlp, 0, 5, 6, 1.5), (ExpertKind.Mlp, 0, 1, 4, 0.4),
            (ExpertKind.Mlp, 1, 0, 10, 5.0), (ExpertKind.Mlp, 1, 7, 10, 2.0)));

        var flush = await (await api.Admin.PostAsync("/v1/usage/flush", null)).ShouldBeAsync<UsageFlushResult>(HttpStatusCode.OK);
        var report = await api.GetAsync<ExpertUsageReport>(UsageUrl(since), reader);

        var recorded = Assert.Single(flush.Recorded);
        Assert.Equal(9, recorded.Rows);
        Assert.Equal(assembly.Summary.ManifestHash, report.ManifestHash);
        Assert.Equal(10, report.EstimatedTokens);
        var mlp3 = report.Layers[0].Mlp[3];
        var entry = assembly.Manifest.Layers[0].Mlp[3];
        Assert.Equal((entry.Module, entry.VersionId, entry.Version, 10L), (mlp3.Module, mlp3.ModuleVersionId, mlp3.ModuleVersion, mlp3.Selections));
        Assert.Equal(0.8, mlp3.MeanGate, 12);
        Assert.Equal(0.5, mlp3.Share, 12);
        Assert.Equal(0.3, report.Layers[0].Mlp[5].Share, 12);
        Assert.Equal(0.6, report.Layers[0].Attention[0].MeanGate, 12);
        Assert.Equal(0, report.Layers[1].Mlp[4].Selections);   // never selected, still listed
        Assert.All(report.Layers, l => Assert.Equal((AttentionExperts, MlpExperts), (l.Attention.Count, l.Mlp.Count)));
    }

    [Fact]
    public async Task UsageOfAnUnknownModelKey_IsDroppedWithAWarning()
    {
        var unknown = new string('f', 64);
        Usage.Record(unknown, Tally((ExpertKind.Mlp, 0, 0, 2, 1.0)));

        var flush = await (await api.Admin.PostAsync("/v1/usage/flush", null)).ShouldBeAsync<UsageFlushResult>(HttpStatusCode.OK);

        Assert.Contains(unknown, flush.Dropped);
        Assert.DoesNotContain(unknown, flush.Failed);
        Assert.Contains(api.Logs.Lines, l => l.StartsWith("Warning") && l.Contains(unknown) && l.Contains("manifest hash"));
    }

    [Fact]
    public async Task UsageOfAnUnknownAssembly_Is404()
    {
        var problem = await (await reader.GetAsync("/v1/assemblies/nobody/versions/latest/usage")).ShouldBeProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal("nobody@latest", problem.Target);
    }

    [Fact]
    public async Task FlushingNeedsAdmin()
    {
        await (await reader.PostAsync("/v1/usage/flush", null)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CountsAreFlushedOnTheIntervalAndAtShutdownWithoutBeingAsked()
    {
        var since = await FlushAsync();
        await using (var node = api.Factory.WithWebHostBuilder(b => b.UseSetting("Usage:FlushInterval", "00:00:01")))
        {
            node.Services.GetRequiredService<ExpertUsage>().Record(assembly.Summary.ManifestHash, Tally((ExpertKind.Mlp, 1, 6, 3, 1.5)));
            await EventuallyAsync(async () => (await ReportAsync(since)).Layers[1].Mlp[6].Selections == 3);
        }
        await using (var node = api.Factory.WithWebHostBuilder(b => b.UseSetting("Usage:FlushInterval", "01:00:00")))
        {
            node.Services.GetRequiredService<ExpertUsage>().Record(assembly.Summary.ManifestHash, Tally((ExpertKind.Mlp, 1, 6, 4, 2.0)));
        }   // disposing stops the host: the last flush happens then

        Assert.Equal(7, (await ReportAsync(since)).Layers[1].Mlp[6].Selections);
    }

    /// <summary>Flushes whatever is pending; returns a time after that flush's window.</summary>
    async Task<DateTimeOffset> FlushAsync()
    {
        (await api.Admin.PostAsync("/v1/usage/flush", null)).EnsureSuccessStatusCode();
        await Task.Delay(10);
        return DateTimeOffset.UtcNow;
    }

    Task<ExpertUsageReport> ReportAsync(DateTimeOffset since) => api.GetAsync<ExpertUsageReport>(UsageUrl(since), reader);

    string UsageUrl(DateTimeOffset since) => $"/v1/assemblies/{name}/versions/latest/usage?since={Uri.EscapeDataString(since.ToString("O"))}";

    static RoutingTally Tally(params (ExpertKind Kind, int Layer, int Expert, long Selections, double GateSum)[] counts)
    {
        var tally = new RoutingTally(Layers, AttentionExperts, MlpExperts,
            new long[Layers * (AttentionExperts + MlpExperts)], new double[Layers * (AttentionExperts + MlpExperts)]);
        foreach (var c in counts)
        {
            var i = tally.IndexOf(c.Kind, c.Layer, c.Expert);
            tally.Counts[i] = c.Selections;
            tally.GateSums[i] = c.GateSum;
        }
        return tally;
    }

    static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(200);
        }
    }
}
