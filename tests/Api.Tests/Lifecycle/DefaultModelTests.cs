using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Lifecycle;

/// <summary>
/// The shipped model is registered as <c>default</c> on first start and serves at once; later starts leave the
/// registry as it is, so an operator's own <c>default</c> is never replaced.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DefaultModelTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task FirstStart_RegistersTheShippedModel_AndLaterStartsLeaveItAlone()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await api.Admin.GetAsync("/v1/assemblies/default/versions/latest")).StatusCode);

        await using (var first = Start(Checkpoints.Fixture(Checkpoints.Tiny)))
        {
            using var client = Authorized(first);
            var models = JsonNode.Parse(await client.GetStringAsync("/v1/models"))!["data"]!.AsArray();
            Assert.Contains(models, m => (string)m!["id"]! == "default");
            var completion = await client.PostJsonAsync("/v1/completions", new { model = "default", prompt = new[] { 5, 6, 7 }, max_tokens = 3, temperature = 0 });
            Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        }
        var registered = await api.GetAssemblyAsync("default");
        Assert.Equal(1, registered.Summary.Version);

        // A different shipped model on a later start changes nothing: "default" exists.
        await using (var second = Start(Checkpoints.Fixture(Checkpoints.MolmLike)))
        {
            using var client = Authorized(second);
            (await client.GetAsync("/readyz")).EnsureSuccessStatusCode();
        }
        var after = await api.GetAssemblyAsync("default");
        Assert.Equal((1, registered.Summary.ManifestHash), (after.Summary.Version, after.Summary.ManifestHash));
    }

    [Fact]
    public async Task AMissingModelFolder_StartsWithAnEmptyRegistry()
    {
        await using var node = Start(Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N")));
        using var client = Authorized(node);
        (await client.GetAsync("/readyz")).EnsureSuccessStatusCode();
        Assert.Contains("No default model at", api.Logs.Text);
    }

    Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Start(string path) =>
        api.Factory.WithWebHostBuilder(b => b
            .UseSetting("DefaultModel:Enabled", "true")
            .UseSetting("DefaultModel:Path", path)
            .UseSetting("DefaultModel:Name", "default"));

    HttpClient Authorized(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> node)
    {
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", api.BootstrapKey);
        return client;
    }
}
