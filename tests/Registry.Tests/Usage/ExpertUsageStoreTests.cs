using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data;
using ModuleService.Registry.Tests.Support;
using ModuleService.Registry.Usage;
using Npgsql;
using Xunit;

namespace ModuleService.Registry.Tests.Usage;

/// <summary>Recording served-traffic expert usage per flush window and reading it back aggregated.</summary>
public sealed class ExpertUsageStoreTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    const string Node = "node-a";

    ExpertUsageStore Store => Get<ExpertUsageStore>();

    [Fact]
    public async Task Record_ThenGet_GivesSelectionsMeanGateShareAndModulePerExpert()
    {
        var assembly = await ImportUniqueAsync("usage");
        ExpertCount[] counts =
        [
            new(0, ModuleKind.MlpExpert, 3, 30, 12.0),
            new(0, ModuleKind.MlpExpert, 5, 10, 1.0),
            new(1, ModuleKind.MlpExpert, 0, 40, 20.0),
            new(0, ModuleKind.AttentionExpert, 1, 40, 30.0),
            new(0, ModuleKind.AttentionExpert, 2, 40, 10.0),
            new(1, ModuleKind.AttentionExpert, 0, 0, 0),   // zeros are implied by the manifest: no row
        ];

        var recorded = await Store.RecordAsync(assembly.Summary.ManifestHash, counts, T0, T0.AddSeconds(30), Node, default);
        var report = await Store.GetAsync(new AssemblyRef(assembly.Summary.Name), null, default);

        Assert.Equal((assembly.Summary.Id, 5), (recorded.AssemblyId, recorded.Rows));
        Assert.Equal((T0, T0.AddSeconds(30)), (report.WindowStart, report.WindowEnd));
        Assert.Equal(2, report.Layers.Count);
        Assert.All(report.Layers, l => Assert.Equal((4, 8), (l.Attention.Count, l.Mlp.Count)));
        var mlp3 = report.Layers[0].Mlp[3];
        var manifestEntry = assembly.Manifest.Layers[0].Mlp[3];
        Assert.Equal((3, manifestEntry.Module, manifestEntry.VersionId, 30L), (mlp3.Expert, mlp3.Module, mlp3.ModuleVersionId, mlp3.Selections));
        Assert.Equal(0.4, mlp3.MeanGate, 12);
        Assert.Equal(0.75, mlp3.Share, 12);
        Assert.Equal((0L, 0.0, 0.0), (report.Layers[0].Mlp[0].Selections, report.Layers[0].Mlp[0].MeanGate, report.Layers[0].Mlp[0].Share));
        Assert.Equal(0.5, report.Layers[0].Attention[2].Share, 12);
        Assert.Equal(1.0, report.Layers[1].Mlp[0].Share, 12);
        // 80 MLP selections over 2 layers with k_mlp = 2 → 20 tokens.
        Assert.Equal(20, report.EstimatedTokens);
    }

    [Fact]
    public async Task Windows_FromSeveralNodesAddUp_AndSinceKeepsOnlyLaterWindows()
    {
        var assembly = await ImportUniqueAsync("windows");
        var hash = assembly.Summary.ManifestHash;
        await Store.RecordAsync(hash, [new(1, ModuleKind.MlpExpert, 7, 4, 2.0)], T0, T0.AddSeconds(30), "node-a", default);
        await Store.RecordAsync(hash, [new(1, ModuleKind.MlpExpert, 7, 6, 1.0)], T0, T0.AddSeconds(30), "node-b", default);
        await Store.RecordAsync(hash, [new(1, ModuleKind.MlpExpert, 7, 10, 7.0)], T0.AddSeconds(30), T0.AddSeconds(60), "node-a", default);
        var target = new AssemblyRef(assembly.Summary.Name);

        var all = await Store.GetAsync(target, null, default);
        var later = await Store.GetAsync(target, T0.AddSeconds(45), default);
        var none = await Store.GetAsync(target, T0.AddHours(1), default);

        Assert.Equal(20, all.Layers[1].Mlp[7].Selections);
        Assert.Equal(0.5, all.Layers[1].Mlp[7].MeanGate, 12);
        Assert.Equal((T0, T0.AddSeconds(60)), (all.WindowStart, all.WindowEnd));
        Assert.Equal(10, later.Layers[1].Mlp[7].Selections);
        Assert.Equal(0.7, later.Layers[1].Mlp[7].MeanGate, 12);
        Assert.Equal((T0.AddSeconds(30), T0.AddSeconds(45)), (later.WindowStart, later.Since));
        Assert.Equal((0L, (DateTimeOffset?)null, 0L), (none.Layers[1].Mlp[7].Selections, none.WindowStart, none.EstimatedTokens));
    }

    [Fact]
    public async Task SameManifest_RecordsAgainstTheNewestNonArchivedAssembly_AndReadsSumOverAll()
    {
        using var weights = UniqueCheckpoint();
        var first = await ImportAsync(weights.Path, "first");
        var second = await Importer.ImportFolderAsync(weights.Path, UniqueName("second"), Actor, default);
        var hash = first.Summary.ManifestHash;

        var toSecond = await Store.RecordAsync(hash, [new(0, ModuleKind.AttentionExpert, 0, 5, 1.0)], T0, T0.AddSeconds(1), Node, default);
        await Assemblies.ArchiveAsync(new AssemblyRef(second.Name, "1"), Actor, "retired", default);
        var toFirst = await Store.RecordAsync(hash, [new(0, ModuleKind.AttentionExpert, 0, 7, 1.0)], T0, T0.AddSeconds(1), Node, default);

        Assert.Equal(second.ManifestHash, hash);
        Assert.Equal((second.AssemblyId, first.Summary.Id), (toSecond.AssemblyId, toFirst.AssemblyId));
        var viaFirst = await Store.GetAsync(new AssemblyRef(first.Summary.Name), null, default);
        var viaSecond = await Store.GetAsync(new AssemblyRef(second.Name, "1"), null, default);
        Assert.Equal(12, viaFirst.Layers[0].Attention[0].Selections);
        Assert.Equal(12, viaSecond.Layers[0].Attention[0].Selections);
    }

    [Fact]
    public async Task UnknownManifestHash_IsNotFoundAndWritesNothing()
    {
        var before = await UsageRowsAsync();

        var error = await Assert.ThrowsAsync<NotFoundException>(() => Store.RecordAsync(new string('0', 64),
            [new(0, ModuleKind.MlpExpert, 0, 1, 0.5)], T0, T0.AddSeconds(1), Node, default));

        Assert.Contains("manifest hash", error.Message);
        Assert.Equal(before, await UsageRowsAsync());
    }

    [Fact]
    public async Task CountOutsideTheManifest_IsRejectedNamingTheExpertAndWritesNothing()
    {
        var assembly = await ImportUniqueAsync("shape");
        var before = await UsageRowsAsync();

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Store.RecordAsync(assembly.Summary.Id,
            [new(0, ModuleKind.MlpExpert, 0, 3, 1.0), new(1, ModuleKind.MlpExpert, 8, 1, 0.5)], T0, T0.AddSeconds(1), Node, default));

        Assert.Equal("layer1.mlp.expert8", error.Target);
        Assert.Contains("8 MLP experts", error.Message);
        Assert.Equal(before, await UsageRowsAsync());
    }

    [Fact]
    public async Task UsageRows_CannotBeUpdatedDeletedOrTruncated()
    {
        var assembly = await ImportUniqueAsync("immutable");
        await Store.RecordAsync(assembly.Summary.Id, [new(0, ModuleKind.MlpExpert, 1, 3, 1.0)], T0, T0.AddSeconds(1), Node, default);

        foreach (var sql in new[]
        {
            $"UPDATE expert_usage SET selections = 0 WHERE assembly_id = '{assembly.Summary.Id}'",
            $"DELETE FROM expert_usage WHERE assembly_id = '{assembly.Summary.Id}'",
            "TRUNCATE expert_usage",
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteSqlAsync(sql));
            Assert.Contains("immutable", error.MessageText);
        }
        Assert.Equal(3, (await Store.GetAsync(new AssemblyRef(assembly.Summary.Name), null, default)).Layers[0].Mlp[1].Selections);
    }

    /// <summary>The tiny fixture with a perturbed head row: a manifest hash no other test of the class shares
    /// (the class's tests share one database, and usage is summed per manifest hash).</summary>
    static TempDir UniqueCheckpoint()
    {
        var copy = Checkpoints.Copy(Checkpoints.Tiny);
        Checkpoints.Perturb(copy.Path, "lm_head.weight", Random.Shared.Next(512), 0.1f + Random.Shared.NextSingle());
        return copy;
    }

    async Task<AssemblyDetail> ImportUniqueAsync(string prefix)
    {
        using var weights = UniqueCheckpoint();
        return await ImportAsync(weights.Path, prefix);
    }

    async Task<AssemblyDetail> ImportAsync(string folder, string prefix)
    {
        var name = UniqueName(prefix);
        await Importer.ImportFolderAsync(folder, name, Actor, default);
        return await Assemblies.GetAsync(new AssemblyRef(name), default);
    }

    async Task<int> UsageRowsAsync()
    {
        await using var scope = NewScope();
        return await scope.ServiceProvider.GetRequiredService<RegistryDbContext>().ExpertUsage.CountAsync();
    }
}
