using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests.Datasets;

/// <summary>Listing, archive and restore (stage events, like module versions and assemblies).</summary>
public sealed class DatasetStageTests(PostgresFixture postgres) : DatasetTestBase(postgres)
{
    [Fact]
    public async Task Archive_HidesFromListingsUntilRestored()
    {
        var name = UniqueName("arch");
        var (dataset, _) = await UploadAsync(name, DatasetFormat.Text, "to be archived " + Guid.NewGuid());

        var archived = await Datasets.ArchiveAsync(name, Actor, "superseded", default);

        Assert.Equal((Stage.Active, Stage.Archived), (archived.From, archived.To));
        Assert.Empty((await Datasets.ListAsync(new DatasetQuery(Name: name), null, default)).Items);
        Assert.Equal(Stage.Archived, Assert.Single((await Datasets.ListAsync(new DatasetQuery(Name: name, IncludeArchived: true), null, default)).Items).Stage);
        Assert.Equal(Stage.Archived, (await Datasets.GetAsync(dataset.Id, default)).Stage);
        await Assert.ThrowsAsync<ConflictException>(() => Datasets.ArchiveAsync(name, Actor, null, default));

        var restored = await Datasets.RestoreAsync(dataset.Id.ToString(), Actor, null, default);

        Assert.Equal((Stage.Archived, Stage.Active), (restored.From, restored.To));
        Assert.Equal(dataset.Id, Assert.Single((await Datasets.ListAsync(new DatasetQuery(Name: name), null, default)).Items).Id);
        await Assert.ThrowsAsync<ConflictException>(() => Datasets.RestoreAsync(name, Actor, null, default));
        var actions = (await Audit.ListAsync(new AuditQuery(TargetType.Dataset, dataset.Id.ToString()), null, default)).Items.Select(e => e.Action);
        Assert.Equal(["dataset.restore", "dataset.archive", "dataset.create"], actions);
    }

    [Fact]
    public async Task ReUploadOfAnArchivedDataset_ReturnsItArchived()
    {
        var content = "archived content " + Guid.NewGuid();
        var (dataset, _) = await UploadAsync(UniqueName("gone"), DatasetFormat.Text, content);
        await Datasets.ArchiveAsync(dataset.Name, Actor, null, default);

        var (again, created) = await UploadAsync(UniqueName("back"), DatasetFormat.Text, content);

        Assert.False(created);
        Assert.Equal((dataset.Id, Stage.Archived), (again.Id, again.Stage));
    }

    [Fact]
    public async Task List_FiltersByFormatAndPagesNewestFirst()
    {
        var tag = Guid.NewGuid().ToString("N");
        var uploaded = new List<DatasetView>();
        for (var i = 0; i < 3; i++)
            uploaded.Add((await UploadAsync(UniqueName("page"), DatasetFormat.Jsonl, $"{{\"text\": \"{tag} {i}\"}}")).Dataset);

        var page = await Datasets.ListAsync(new DatasetQuery(Format: DatasetFormat.Jsonl), new PageRequest(0, 2), default);

        Assert.Equal(3, page.Total);
        Assert.Equal(uploaded.AsEnumerable().Reverse().Take(2).Select(d => d.Id), page.Items.Select(d => d.Id));
        Assert.Empty((await Datasets.ListAsync(new DatasetQuery(Format: DatasetFormat.Text, Name: uploaded[0].Name), null, default)).Items);
    }
}
