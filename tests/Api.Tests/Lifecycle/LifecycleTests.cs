using System.Net;
using ModuleService.Api.Tests.Support;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;
using ModuleService.Registry.Stages;
using Xunit;

namespace ModuleService.Api.Tests.Lifecycle;

/// <summary>Stages, archive and restore of assemblies and module versions, and the audit log that records them.</summary>
[Collection(ApiCollection.Name)]
public sealed class LifecycleTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    TestKey operatorKey = null!;
    HttpClient ops = null!;

    public async Task InitializeAsync()
    {
        operatorKey = await api.CreateKeyAsync("ops-admin", "admin");
        ops = api.Client(operatorKey.Secret);
    }

    public Task DisposeAsync()
    {
        ops.Dispose();
        return Task.CompletedTask;
    }

    string OperatorActor => $"ops-admin ({operatorKey.Id})";

    [Fact]
    public async Task Assembly_StageArchiveRestore_AndEveryStepIsAudited()
    {
        var name = ApiFixture.UniqueName("life");
        var imported = await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, ops);
        var id = (await api.GetAssemblyAsync(name)).Summary.Id;
        var url = $"/v1/assemblies/{name}/versions/1";

        var deprecated = await (await ops.PostJsonAsync($"{url}/stage", new { stage = "deprecated", reason = "superseded" })).ShouldBeAsync<StageChange>(HttpStatusCode.OK);
        Assert.Equal((Stage.Active, Stage.Deprecated), (deprecated.From, deprecated.To));

        var archived = await (await ops.PostAsync($"{url}/archive?reason=cleanup", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);
        Assert.Equal((Stage.Deprecated, Stage.Archived), (archived.From, archived.To));
        Assert.Equal(0, (await api.GetAsync<Page<AssemblySummary>>($"/v1/assemblies?name={name}")).Total);
        Assert.Equal(1, (await api.GetAsync<Page<AssemblySummary>>($"/v1/assemblies?name={name}&includeArchived=true")).Total);
        await (await ops.GetAsync($"/v1/assemblies/{name}/versions/latest")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(Stage.Archived, (await api.GetAssemblyAsync(name, "1")).Summary.Stage);
        var conflict = await (await ops.PostJsonAsync($"{url}/stage", new { stage = "active" })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("restore", conflict.Detail);

        var restored = await (await ops.PostAsync($"{url}/restore", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);
        Assert.Equal((Stage.Archived, Stage.Deprecated), (restored.From, restored.To));
        Assert.Equal(Stage.Deprecated, (await api.GetAssemblyAsync(name)).Summary.Stage);
        await (await ops.PostAsync($"{url}/restore", null)).ShouldBeProblemAsync(HttpStatusCode.Conflict);

        var audit = await api.GetAsync<Page<AuditEntryView>>($"/v1/audit?targetId={id}");
        Assert.Equal(["assembly.restore", "assembly.archive", "assembly.stage", "assembly.create"], audit.Items.Select(e => e.Action));
        Assert.All(audit.Items, e => Assert.Equal(OperatorActor, e.Actor));
        Assert.Equal("cleanup", audit.Items[1].Details.GetProperty("reason").GetString());
        Assert.Equal(imported.ManifestHash, audit.Items[3].Details.GetProperty("manifestHash").GetString());
    }

    [Fact]
    public async Task ModuleVersion_ArchivedIsHiddenAndUnusable_UntilRestored()
    {
        var name = ApiFixture.UniqueName("mv");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.MolmLike), name, ops);
        var expert = (await api.GetAssemblyAsync(name)).Manifest.Layers[1].Mlp[2];
        var visible = (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions")).Total;

        var archived = await (await ops.PostAsync($"/v1/module-versions/{expert.VersionId}/archive", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);

        Assert.Equal((TargetType.ModuleVersion, Stage.Active, Stage.Archived), (archived.TargetType, archived.From, archived.To));
        Assert.Equal(visible - 1, (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions")).Total);
        Assert.Equal(Stage.Archived, (await api.GetAsync<ModuleVersionView>($"/v1/module-versions/{expert.VersionId}")).Stage);
        var stageOfArchived = await (await ops.PostJsonAsync($"/v1/module-versions/{expert.VersionId}/stage", new { stage = "deprecated" })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("archived", stageOfArchived.Detail);
        // An archived version cannot go into a new assembly.
        var compose = await ops.PostJsonAsync("/v1/assemblies", new
        {
            name = ApiFixture.UniqueName("reuse"), @base = name,
            remove = new[] { expert.VersionId }, add = new[] { new { moduleVersionId = expert.VersionId } },
        });
        Assert.Equal($"{expert.Module}@v{expert.Version}", (await compose.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity)).Target);

        var restored = await (await ops.PostAsync($"/v1/module-versions/{expert.VersionId}/restore", null)).ShouldBeAsync<StageChange>(HttpStatusCode.OK);

        Assert.Equal((Stage.Archived, Stage.Active), (restored.From, restored.To));
        Assert.Equal(visible, (await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions")).Total);
        var deprecated = await (await ops.PostJsonAsync($"/v1/module-versions/{expert.VersionId}/stage", new { stage = "deprecated" })).ShouldBeAsync<StageChange>(HttpStatusCode.OK);
        Assert.Equal(Stage.Deprecated, deprecated.To);
        var audit = await api.GetAsync<Page<AuditEntryView>>($"/v1/audit?targetType=moduleVersion&targetId={expert.VersionId}");
        Assert.Equal(["module_version.stage", "module_version.restore", "module_version.archive", "module_version.create"], audit.Items.Select(e => e.Action));
        Assert.All(audit.Items, e => Assert.Equal(OperatorActor, e.Actor));
    }

    [Fact]
    public async Task UnknownTargets_Are404ProblemsNamingThem()
    {
        var id = Guid.NewGuid();
        Assert.Equal(id.ToString(), (await (await ops.PostAsync($"/v1/module-versions/{id}/archive", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound)).Target);
        Assert.Equal("ghost@2", (await (await ops.PostAsync("/v1/assemblies/ghost/versions/2/restore", null)).ShouldBeProblemAsync(HttpStatusCode.NotFound)).Target);
    }

    [Fact]
    public async Task AuditLog_NamesActorsAndNeverHoldsSecrets()
    {
        var reader = await api.CreateKeyAsync("auditor-read", "read");
        await api.RevokeKeyAsync(reader.Id);

        var response = await api.Admin.GetAsync("/v1/audit?limit=500");
        var body = await response.Content.ReadAsStringAsync();
        var audit = await response.ShouldBeAsync<Page<AuditEntryView>>(HttpStatusCode.OK);

        var keyEvents = audit.Items.Where(e => e.TargetId == reader.Id.ToString()).ToList();
        Assert.Equal(["api_key.revoke", "api_key.create"], keyEvents.Select(e => e.Action));
        Assert.All(keyEvents, e => Assert.Equal($"bootstrap-admin ({Guid.Empty})", e.Actor));
        Assert.Equal(reader.Secret[..12], keyEvents[1].Details.GetProperty("prefix").GetString());
        foreach (var secret in api.Secrets) Assert.DoesNotContain(secret, body);
        var byActor = await api.GetAsync<Page<AuditEntryView>>($"/v1/audit?actor={Uri.EscapeDataString(OperatorActor)}");
        Assert.All(byActor.Items, e => Assert.Equal(OperatorActor, e.Actor));
    }

    [Fact]
    public async Task StageRequestWithoutAStage_Is400NamingTheField()
    {
        var name = ApiFixture.UniqueName("nostage");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, ops);
        var version = (await api.GetAssemblyAsync(name)).Manifest.Embedding.VersionId;

        var forAssembly = await (await ops.PostJsonAsync($"/v1/assemblies/{name}/versions/1/stage", new { reason = "no stage" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var forVersion = await (await ops.PostJsonAsync($"/v1/module-versions/{version}/stage", new { })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(["stage"], forAssembly.Errors.Keys);
        Assert.Equal(["stage"], forVersion.Errors.Keys);
        Assert.Equal(Stage.Active, (await api.GetAssemblyAsync(name)).Summary.Stage);
    }

    [Fact]
    public async Task Filters_AcceptTheEnumValuesTheApiWrites()
    {
        var name = ApiFixture.UniqueName("filter");
        await api.ImportAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, ops);
        (await ops.PostAsync($"/v1/assemblies/{name}/versions/1/archive", null)).EnsureSuccessStatusCode();

        var archived = await api.GetAsync<Page<AssemblySummary>>($"/v1/assemblies?name={name}&stage=archived");
        var experts = await api.GetAsync<Page<ModuleVersionView>>("/v1/module-versions?kind=mlpExpert&layer=1&limit=500");
        var familyId = (await api.GetAssemblyAsync(name, "1")).Summary.FamilyId;
        var modules = await api.GetAsync<Page<ModuleView>>($"/v1/modules?familyId={familyId}&kind=attentionExpert&limit=500");
        var audit = await api.GetAsync<Page<AuditEntryView>>("/v1/audit?targetType=assembly&action=assembly.archive");

        Assert.Equal(Stage.Archived, Assert.Single(archived.Items).Stage);
        Assert.NotEmpty(experts.Items);
        Assert.All(experts.Items, v => Assert.Equal((ModuleService.Model.Surgery.ModuleKind.MlpExpert, (int?)1), (v.Kind, v.Layer)));
        Assert.Equal(8, modules.Total);   // 4 attention experts in each of 2 layers
        Assert.Contains(audit.Items, e => e.TargetType == TargetType.Assembly && e.Actor == OperatorActor);
        // The C# spelling keeps working too.
        Assert.Equal(1, (await api.GetAsync<Page<AssemblySummary>>($"/v1/assemblies?name={name}&stage=Archived")).Total);
    }

    [Theory]
    [InlineData("/v1/assemblies?stage=gone", "stage")]
    [InlineData("/v1/module-versions?kind=wheel", "kind")]
    [InlineData("/v1/modules?kind=3", "kind")]
    [InlineData("/v1/audit?targetType=planet", "targetType")]
    public async Task UnknownFilterValue_Is400NamingTheParameter(string url, string parameter)
    {
        var problem = await (await ops.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Equal(parameter, problem.Target);
        Assert.Contains(parameter, problem.Detail);
    }

    [Theory]
    [InlineData("/v1/assemblies?limit=many", "limit")]
    [InlineData("/v1/module-versions?includeArchived=perhaps", "includeArchived")]
    [InlineData("/v1/audit?since=yesterday", "since")]
    [InlineData("/v1/modules?layer=first", "layer")]
    public async Task MalformedQueryValue_Is400NamingTheParameter(string url, string parameter)
    {
        var problem = await (await ops.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(parameter, problem.Detail);
    }
}
