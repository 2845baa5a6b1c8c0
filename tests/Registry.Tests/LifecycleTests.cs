using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Modules;
using ModuleService.Registry.Tests.Support;
using Npgsql;
using Xunit;

namespace ModuleService.Registry.Tests;

public sealed class LifecycleTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    [Fact]
    public async Task AssemblyStages_FollowTheTransitionRules()
    {
        var name = UniqueName("stage");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var target = new AssemblyRef(name, "1");

        Assert.Equal((Stage.Active, Stage.Deprecated), Pair(await Assemblies.SetStageAsync(target, Stage.Deprecated, Actor, "old", default)));
        Assert.Equal((Stage.Deprecated, Stage.Active), Pair(await Assemblies.SetStageAsync(target, Stage.Active, Actor, null, default)));
        await Assert.ThrowsAsync<ConflictException>(() => Assemblies.SetStageAsync(target, Stage.Draft, Actor, null, default));
        await Assert.ThrowsAsync<ConflictException>(() => Assemblies.SetStageAsync(target, Stage.Active, Actor, null, default));
        Assert.Equal(Stage.Active, (await Assemblies.GetAsync(target, default)).Summary.Stage);
    }

    [Fact]
    public async Task ArchiveAndRestore_HideAndBringBackTheAssemblyWithItsFormerStage()
    {
        var name = UniqueName("arch");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var v1 = new AssemblyRef(name, "1");
        await Assemblies.SetStageAsync(v1, Stage.Deprecated, Actor, null, default);

        await Assemblies.ArchiveAsync(v1, Actor, "cleanup", default);

        await Assert.ThrowsAsync<NotFoundException>(() => Assemblies.GetAsync(new AssemblyRef(name), default));
        Assert.Empty((await Assemblies.ListAsync(new AssemblyQuery(Name: name), null, default)).Items);
        Assert.Single((await Assemblies.ListAsync(new AssemblyQuery(Name: name, IncludeArchived: true), null, default)).Items);
        await Assert.ThrowsAsync<ConflictException>(() => Assemblies.SetStageAsync(v1, Stage.Active, Actor, null, default));

        var restored = await Assemblies.RestoreAsync(v1, Actor, null, default);

        Assert.Equal((Stage.Archived, Stage.Deprecated), Pair(restored));
        Assert.Equal(Stage.Deprecated, (await Assemblies.GetAsync(new AssemblyRef(name), default)).Summary.Stage);
    }

    [Fact]
    public async Task ArchivedModuleVersion_IsHiddenAndCannotBeComposedUntilRestored()
    {
        var name = UniqueName("mv");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var expert = (await Assemblies.GetAsync(new AssemblyRef(name), default)).Manifest.Layers[0].Mlp[0];
        var version = await Catalog.GetVersionAsync(expert.VersionId, default);
        Assert.Equal((Stage.Active, "import"), (version.Stage, version.Provenance.Source));

        await Catalog.ArchiveAsync(expert.VersionId, Actor, null, default);

        var listed = await Catalog.ListVersionsAsync(new ModuleVersionQuery(ModuleId: version.ModuleId), null, default);
        Assert.DoesNotContain(listed.Items, v => v.Id == expert.VersionId);
        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Assemblies.ComposeAsync(
            new ComposeRequest(UniqueName("x"), new AssemblyRef(name), Add: [new ModuleAddition(expert.VersionId)]), Actor, default));
        Assert.Equal($"layer0.mlp.expert0@v{expert.Version}", error.Target);

        await Catalog.RestoreAsync(expert.VersionId, Actor, null, default);
        Assert.Equal(Stage.Active, (await Catalog.GetVersionAsync(version.ModuleId, "latest", default)).Stage);
    }

    [Fact]
    public async Task EveryChange_IsAudited()
    {
        var name = UniqueName("audit");
        using var source = Checkpoints.Copy(Checkpoints.Tiny);
        Checkpoints.Perturb(source.Path, "lm_head.weight", 7);   // a fresh head: one new module version for sure
        var imported = await Importer.ImportFolderAsync(source.Path, name, "alice", default);
        var target = new AssemblyRef(name, "1");
        await Assemblies.SetStageAsync(target, Stage.Deprecated, "bob", "superseded", default);
        await Assemblies.ArchiveAsync(target, "bob", null, default);
        await Assemblies.RestoreAsync(target, "carol", null, default);

        var entries = (await Audit.ListAsync(new AuditQuery(TargetType: TargetType.Assembly, TargetId: imported.AssemblyId.ToString()), null, default)).Items;
        Assert.Equal(["assembly.restore", "assembly.archive", "assembly.stage", "assembly.create"], entries.Select(e => e.Action));
        Assert.Equal(["carol", "bob", "bob", "alice"], entries.Select(e => e.Actor));
        var byAlice = (await Audit.ListAsync(new AuditQuery(Actor: "alice", Action: "module_version.create"), null, default)).Items;
        Assert.Contains(byAlice, e => e.Details.GetProperty("module").GetString() == "head");
    }

    [Theory]
    [InlineData("UPDATE module_versions SET version = version + 100")]
    [InlineData("DELETE FROM audit_entries")]
    [InlineData("UPDATE assemblies SET notes = 'rewritten'")]
    [InlineData("TRUNCATE stage_events")]
    public async Task DatabaseRefusesToRewriteHistory(string sql)
    {
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), UniqueName("imm"), Actor, default);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteSqlAsync(sql));

        Assert.Contains("immutable", error.MessageText);
        Assert.True(await Db.ModuleVersions.AllAsync(v => v.Version < 100));
    }

    static (Stage, Stage) Pair(ModuleService.Registry.Stages.StageChange change) => (change.From, change.To);
}
