using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests;

public sealed class ImportTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    [Theory]
    [InlineData(Checkpoints.Tiny, 2 + 2 * (1 + 4 + 8))]
    [InlineData(Checkpoints.MolmLike, 2 + 2 * (1 + 4 + 8))]
    public async Task ImportFolder_CreatesActiveAssemblyWithOneVersionPerModule(string fixture, int parts)
    {
        var name = UniqueName("folder");
        var result = await Importer.ImportFolderAsync(Checkpoints.Fixture(fixture), name, Actor, default);

        Assert.Equal((name, 1, parts, true), (result.Name, result.Version, result.ModuleCount, result.Created));
        var detail = await Assemblies.GetAsync(new AssemblyRef(name, "latest"), default);
        Assert.Equal(Stage.Active, detail.Summary.Stage);
        Assert.Equal(result.ManifestHash, detail.Summary.ManifestHash);
        Assert.Equal((4, 8), (detail.AttentionExperts, detail.MlpExperts));
        Assert.Equal(parts, detail.Manifest.Slots().Count());
    }

    [Fact]
    public async Task ImportTar_MatchesFolderImport()
    {
        using var copy = Checkpoints.Copy(Checkpoints.MolmLike);
        var folder = await Importer.ImportFolderAsync(copy.Path, UniqueName("f"), Actor, default);
        using var tar = Checkpoints.Tar(copy.Path);
        var upload = await Importer.ImportTarAsync(tar, UniqueName("t"), Actor, default);

        Assert.Equal(folder.ManifestHash, upload.ManifestHash);
        Assert.Equal(0, upload.NewModuleVersions);
        Assert.Equal(0, upload.NewBlobs);
    }

    [Fact]
    public async Task ReimportSameWeights_WritesNothingAndReturnsSameVersion()
    {
        var name = UniqueName("again");
        var first = await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var before = await CountRowsAsync();

        var second = await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);

        Assert.Equal((first.Version, first.ManifestHash, first.AssemblyId), (second.Version, second.ManifestHash, second.AssemblyId));
        Assert.False(second.Created);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task ReimportWithOneExpertChanged_AddsOneModuleVersionAndOneAssemblyVersion()
    {
        var name = UniqueName("changed");
        using var copy = Checkpoints.Copy(Checkpoints.Tiny);
        var first = await Importer.ImportFolderAsync(copy.Path, name, Actor, default);
        Checkpoints.Perturb(copy.Path, "transformer.h.0.mlpf.experts.weight", 3);
        var before = await CountRowsAsync();

        var second = await Importer.ImportFolderAsync(copy.Path, name, Actor, default);

        Assert.Equal((2, 1, 1, true), (second.Version, second.NewModuleVersions, second.NewBlobs, second.Created));
        Assert.NotEqual(first.ManifestHash, second.ManifestHash);
        var after = await CountRowsAsync();
        Assert.Equal(before["module_versions"] + 1, after["module_versions"]);
        Assert.Equal(before["modules"], after["modules"]);
        var diff = await Assemblies.DiffAsync(new(name, "1"), new(name, "2"), default);
        var group = Assert.Single(diff.Groups);
        Assert.Equal("layer0.mlp", group.Group);
        var change = Assert.Single(group.Changed);
        Assert.Equal(("layer0.mlp.expert3", 1, 2), (change.Module, change.FromVersion, change.ToVersion));
        var newVersion = await Db.ModuleVersions.SingleAsync(v => v.Sha256 == change.ToSha256);
        Assert.NotNull(newVersion.ParentVersionId);
    }

    [Fact]
    public async Task TruncatedSafetensors_IsRejectedNamingTheFileAndWritesNothing()
    {
        using var copy = Checkpoints.Copy(Checkpoints.Tiny);
        var weights = copy.File("model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        await File.WriteAllBytesAsync(weights, bytes[..(bytes.Length / 2)]);
        var before = await CountRowsAsync();

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(
            () => Importer.ImportFolderAsync(copy.Path, UniqueName("trunc"), Actor, default));

        // The loader names the first tensor whose bytes lie past the new end of the file, and the file.
        Assert.StartsWith("transformer.", error.Target);
        Assert.Contains("model.safetensors: tensor", error.Message);
        Assert.DoesNotContain(copy.Path, error.Message);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task ConfigShapeMismatch_IsRejectedNamingTheTensorAndWritesNothing()
    {
        using var copy = Checkpoints.Copy(Checkpoints.Tiny);
        var config = copy.File("config.json");
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(config)).Replace("\"ffd_hidden\": 128", "\"ffd_hidden\": 96"));
        var before = await CountRowsAsync();

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(
            () => Importer.ImportFolderAsync(copy.Path, UniqueName("shape"), Actor, default));

        Assert.Equal("transformer.h.0.mlpf.experts.weight", error.Target);
        Assert.Contains("[8, 64, 96]", error.Message);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task SameNameWithAnotherFamily_IsAConflictAndWritesNothing()
    {
        var name = UniqueName("fam");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var before = await CountRowsAsync();

        await Assert.ThrowsAsync<ConflictException>(
            () => Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.MolmLike), name, Actor, default));

        Assert.Equal(before, await CountRowsAsync());
    }
}
