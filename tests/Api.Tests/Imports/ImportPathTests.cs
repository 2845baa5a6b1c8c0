using System.Net;
using ModuleService.Api.Tests.Support;
using ModuleService.Model.Checkpoints;
using Xunit;

namespace ModuleService.Api.Tests.Imports;

/// <summary>
/// The app with one import root (Imports:AllowedRoots). Outside it lies a valid checkpoint; inside it, a copy, a
/// folder link and file links that lead out, and a folder whose files link to the copy (still inside).
/// </summary>
public sealed class ImportRootFixture(PostgresFixture postgres) : ApiFixture(postgres)
{
    public TempDir Root { get; } = new("modsvc-apitest-root-");
    public TempDir Outside { get; } = Checkpoints.Copy(Checkpoints.Tiny);

    protected override IReadOnlyDictionary<string, string?> FixtureSettings => new Dictionary<string, string?>
    {
        ["Imports:AllowedRoots:0"] = Root.Path,
    };

    public override async Task InitializeAsync()
    {
        var inside = Directory.CreateDirectory(Root.File("inside")).FullName;
        var linkedOut = Directory.CreateDirectory(Root.File("linked-files")).FullName;
        var linkedIn = Directory.CreateDirectory(Root.File("linked-inside")).FullName;
        foreach (var file in new[] { CheckpointLoader.ConfigFile, CheckpointLoader.SafetensorsFile })
        {
            File.Copy(Outside.File(file), Path.Combine(inside, file));
            File.CreateSymbolicLink(Path.Combine(linkedOut, file), Outside.File(file));
            File.CreateSymbolicLink(Path.Combine(linkedIn, file), Path.Combine("..", "inside", file));
        }
        Directory.CreateSymbolicLink(Root.File("escape"), Outside.Path);
        Directory.CreateSymbolicLink(Root.File("escape-relative"), Path.GetRelativePath(Root.Path, Outside.Path));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Root.Dispose();
        Outside.Dispose();
    }
}

/// <summary>Issue #8: imports read only below the configured roots, whatever <c>..</c> or symbolic links say.</summary>
[Collection(ApiCollection.Name)]
public sealed class ImportPathTests(ImportRootFixture api) : IClassFixture<ImportRootFixture>
{
    public static TheoryData<string> Escapes() =>
    [
        "{outside}",                       // an absolute path outside every root
        "{root}/../{outsideName}",         // '..' out of the root
        "{root}/inside/../../{outsideName}",
        "{root}/escape",                   // a folder link to outside
        "{root}/escape-relative",
        "{root}/escape/.",
        "{root}/linked-files",             // files that link to outside
        "{root}-sibling",                  // shares the root's prefix, is not under it
        "/",
        "inside",                          // relative
    ];

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task AFolderOutsideTheImportRoots_Is400NamingPath_AndWritesNothing(string template)
    {
        var before = await DatabaseState.SnapshotAsync(api);

        var response = await api.Admin.PostJsonAsync("/v1/imports", new { path = Resolve(template), name = "escaped" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["path"], problem.Errors.Keys);
        Assert.DoesNotContain(api.Outside.Path, problem.Body);   // where a link leads is not told
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task AnImportJobOutsideTheImportRoots_Is400NamingPath_AndQueuesNothing(string template)
    {
        var before = await DatabaseState.SnapshotAsync(api);

        var response = await api.Admin.PostJsonAsync("/v1/jobs", new { type = "import", path = Resolve(template), name = "escaped" });

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("path", problem.Target);
        Assert.Equal(before, await DatabaseState.SnapshotAsync(api));
    }

    [Theory]
    [InlineData("{root}/inside")]
    [InlineData("{root}/linked-inside")]   // links are fine while they stay below a root
    [InlineData("{root}/escape/../inside")]   // '..' is resolved on the text of the path, as the importer opens it
    public async Task AFolderInsideTheRoot_Imports(string template)
    {
        var imported = await api.ImportAsync(Resolve(template), ApiFixture.UniqueName("rooted"));

        Assert.Equal(Checkpoints.ModulesPerFixture, imported.Modules);
    }

    string Resolve(string template) => template
        .Replace("{root}", api.Root.Path).Replace("{outside}", api.Outside.Path)
        .Replace("{outsideName}", Path.GetRelativePath(Path.GetDirectoryName(api.Root.Path)!, api.Outside.Path));
}
