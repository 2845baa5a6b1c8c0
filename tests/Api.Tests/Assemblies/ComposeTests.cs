using System.Net;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using Xunit;

namespace ModuleService.Api.Tests.Assemblies;

/// <summary>Composing assemblies from module versions (train scope) and diffing them.</summary>
[Collection(ApiCollection.Name)]
public sealed class ComposeTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    string baseName = "";
    AssemblyDetail baseAssembly = null!;
    HttpClient trainer = null!;

    public async Task InitializeAsync()
    {
        baseName = ApiFixture.UniqueName("base");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), baseName);
        baseAssembly = await api.GetAssemblyAsync(baseName);
        trainer = api.Client((await api.CreateKeyAsync("trainer", "train", "read")).Secret);
    }

    public Task DisposeAsync()
    {
        trainer.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RemovingExpertsBelowK_Is422NamingTheLayerAndWritesNothing()
    {
        // k_att is 2: keeping one attention expert per layer is not a ModuleFormer.
        var remove = baseAssembly.Manifest.Layers.SelectMany(l => l.Attention.Skip(1)).Select(e => e.VersionId).ToList();
        var before = await api.CountRowsAsync();

        var response = await trainer.PostJsonAsync("/v1/assemblies", new { name = ApiFixture.UniqueName("slim"), @base = baseName, remove });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("layer0.attn", problem.Target);
        Assert.Contains("k is 2", problem.Detail);
        Assert.Equal(before, await api.CountRowsAsync());
    }

    [Fact]
    public async Task RemovingOneAttentionExpertPerLayer_CreatesADraftWithThreeExperts()
    {
        var name = ApiFixture.UniqueName("pruned");
        var remove = baseAssembly.Manifest.Layers.Select(l => l.Attention[^1].VersionId).ToList();

        var response = await trainer.PostJsonAsync("/v1/assemblies", new { name, @base = $"{baseName}@1", remove, notes = "prune attention" });

        var created = await response.ShouldBeAsync<AssemblyDetail>(HttpStatusCode.Created);
        Assert.Equal((name, 1, Stage.Draft, 3, 8), (created.Summary.Name, created.Summary.Version, created.Summary.Stage, created.AttentionExperts, created.MlpExperts));
        Assert.Equal(baseAssembly.Summary.Id, created.Summary.ParentAssemblyId);
        Assert.StartsWith("trainer (", created.Summary.CreatedBy);
        Assert.Equal($"/v1/assemblies/{name}/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal(created.Summary.ManifestHash, (await api.GetAssemblyAsync(name, "1")).Summary.ManifestHash);
    }

    [Fact]
    public async Task Diff_ListsTheRemovedModulesPerLayer()
    {
        var name = ApiFixture.UniqueName("diffed");
        var remove = baseAssembly.Manifest.Layers.Select(l => l.Attention[^1].VersionId).ToList();
        (await trainer.PostJsonAsync("/v1/assemblies", new { name, @base = baseName, remove })).EnsureSuccessStatusCode();

        var diff = await api.GetAsync<AssemblyDiff>($"/v1/assemblies/diff?from={baseName}@1&to={name}@latest", trainer);

        Assert.True(diff.SameFamily);
        Assert.False(diff.Identical);
        Assert.Equal(["layer0.attn", "layer1.attn"], diff.Groups.Select(g => g.Group));
        foreach (var (group, layer) in diff.Groups.Select((g, i) => (g, i)))
        {
            var removed = Assert.Single(group.Removed);
            Assert.Equal(($"layer{layer}.attn.expert3", (int?)1, (int?)null), (removed.Module, removed.FromVersion, removed.ToVersion));
            Assert.Empty(group.Added);
            Assert.Empty(group.Changed);
        }
    }

    [Fact]
    public async Task DiffOfAnAssemblyWithItself_IsIdentical()
    {
        var diff = await api.GetAsync<AssemblyDiff>($"/v1/assemblies/diff?from={baseName}&to={baseName}@1");

        Assert.True(diff.Identical);
        Assert.Empty(diff.Groups);
    }

    [Fact]
    public async Task DiffWithoutTo_Is400NamingTheParameter()
    {
        var problem = await (await api.Admin.GetAsync($"/v1/assemblies/diff?from={baseName}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(["to"], problem.Errors.Keys);
    }

    [Fact]
    public async Task ComposeWithoutNameOrBase_Is400NamingTheFields()
    {
        var problem = await (await trainer.PostJsonAsync("/v1/assemblies", new { notes = "nothing else" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(["base", "name"], problem.Errors.Keys.Order());
    }

    [Fact]
    public async Task RemovingAVersionThatIsNotInTheBase_Is422NamingIt()
    {
        var stranger = Guid.NewGuid();

        var response = await trainer.PostJsonAsync("/v1/assemblies", new { name = ApiFixture.UniqueName("x"), @base = baseName, remove = new[] { stranger } });

        Assert.Equal(stranger.ToString(), (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity)).Target);
    }

    [Fact]
    public async Task ComposeFromAnUnknownBase_Is404()
    {
        var response = await trainer.PostJsonAsync("/v1/assemblies", new { name = ApiFixture.UniqueName("x"), @base = "nobody@3" });

        Assert.Equal("nobody@3", (await response.ShouldBeProblemAsync(HttpStatusCode.NotFound)).Target);
    }

    [Fact]
    public async Task MalformedComposeBody_Is400Problem()
    {
        var response = await trainer.PostAsync("/v1/assemblies", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ComposedAssembly_ExportsAsAModelWithThreeAttentionExperts()
    {
        var name = ApiFixture.UniqueName("exp");
        var remove = baseAssembly.Manifest.Layers.Select(l => l.Attention[0].VersionId).ToList();
        (await trainer.PostJsonAsync("/v1/assemblies", new { name, @base = baseName, remove })).EnsureSuccessStatusCode();
        using var folder = new TempDir();

        await using (var tar = await trainer.GetStreamAsync($"/v1/assemblies/{name}/versions/1/export"))
            await System.Formats.Tar.TarFile.ExtractToDirectoryAsync(tar, folder.Path, overwriteFiles: false);

        using var model = ModuleService.Model.Checkpoints.ModelCheckpoint.Load(folder.Path);
        Assert.Equal((3, 8), (model.Config.AttentionExperts, model.Config.MlpExperts));
        var listed = await api.GetAsync<Page<AssemblySummary>>($"/v1/assemblies?name={name}", trainer);
        Assert.Equal(1, listed.Total);
    }
}
