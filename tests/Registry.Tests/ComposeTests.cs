using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Tests.Support;
using Xunit;

namespace ModuleService.Registry.Tests;

public sealed class ComposeTests(PostgresFixture postgres) : RegistryTestBase(postgres)
{
    [Fact]
    public async Task RemovingExpertsBelowK_IsRejectedNamingTheLayer()
    {
        var name = UniqueName("base");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var manifest = (await Assemblies.GetAsync(new AssemblyRef(name), default)).Manifest;
        // Keep one attention expert per layer; k_att is 2.
        var remove = manifest.Layers.SelectMany(l => l.Attention.Skip(1)).Select(e => e.VersionId).ToList();
        var before = await CountRowsAsync();

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Assemblies.ComposeAsync(
            new ComposeRequest(UniqueName("slim"), new AssemblyRef(name), Remove: remove), Actor, default));

        Assert.Equal("layer0.attn", error.Target);
        Assert.Contains("k is 2", error.Message);
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task PruningOneExpertPerLayer_CreatesADraftWithFewerExperts()
    {
        var name = UniqueName("prune");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var manifest = (await Assemblies.GetAsync(new AssemblyRef(name), default)).Manifest;
        var remove = manifest.Layers.Select(l => l.Mlp[^1].VersionId).ToList();

        var slim = await Assemblies.ComposeAsync(new ComposeRequest(name, new AssemblyRef(name, "1"), Remove: remove, Notes: "prune"), Actor, default);

        Assert.Equal((2, Stage.Draft, 4, 7), (slim.Summary.Version, slim.Summary.Stage, slim.AttentionExperts, slim.MlpExperts));
        var (config, stateDict) = await Assemblies.BuildStateDictAsync(new AssemblyRef(name, "2"), default);
        Checkpoints.DisposeAll(stateDict.Values);
        Assert.Equal(7, config.MlpExperts);
    }

    [Fact]
    public async Task AddingExpertsFromAnotherAssemblyOfTheFamily_AppendsThem()
    {
        var a = UniqueName("a");
        var b = UniqueName("b");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), a, Actor, default);
        using var variant = Checkpoints.Copy(Checkpoints.Tiny);
        Checkpoints.Perturb(variant.Path, "transformer.h.0.attn.q_proj.experts.weight", 0);
        Checkpoints.Perturb(variant.Path, "transformer.h.1.attn.q_proj.experts.weight", 0);
        await Importer.ImportFolderAsync(variant.Path, b, Actor, default);
        var fromB = (await Assemblies.GetAsync(new AssemblyRef(b), default)).Manifest.Layers
            .Select((layer, i) => new ModuleAddition(layer.Attention[0].VersionId, Layer: i)).ToList();

        var mixed = await Assemblies.ComposeAsync(new ComposeRequest(UniqueName("mix"), new AssemblyRef(a), Add: fromB), Actor, default);

        Assert.Equal(5, mixed.AttentionExperts);
        Assert.Equal(fromB[1].ModuleVersionId, mixed.Manifest.Layers[1].Attention[4].VersionId);
        var (config, stateDict) = await Assemblies.BuildStateDictAsync(mixed.Summary.Id, default);
        try
        {
            Assert.Equal(5, config.AttentionExperts);
            Assert.Equal([5L, 64, 32], stateDict["transformer.h.1.attn.q_proj.experts.weight"].shape);
            // The served path builds the model module by module; it must hold exactly the state dict's weights.
            using var model = await Assemblies.BuildModelAsync(mixed.Summary.Id, TorchSharp.torch.ScalarType.Float32, default);
            Assert.Equal((config.AttentionExperts, config.MlpExperts), (model.Config.AttentionExperts, model.Config.MlpExperts));
            var built = model.state_dict();
            foreach (var (key, tensor) in stateDict)
                Assert.True(tensor.equal(built[key]).all().item<bool>(), $"{key} differs between the state dict and the built model");
        }
        finally { Checkpoints.DisposeAll(stateDict.Values); }

        var diff = await Assemblies.DiffAsync(new AssemblyRef(a), new AssemblyRef(mixed.Summary.Name), default);
        Assert.Equal(["layer0.attn", "layer1.attn"], diff.Groups.Select(g => g.Group));
        foreach (var (group, layer) in diff.Groups.Select((g, i) => (g, i)))
        {
            var added = Assert.Single(group.Added);
            Assert.Equal(($"layer{layer}.attn.expert0", 2), (added.Module, added.ToVersion));
            Assert.Empty(group.Removed);
        }
    }

    [Fact]
    public async Task AddingAModuleOfAnotherFamily_IsRejectedNamingTheModule()
    {
        var tiny = UniqueName("tiny");
        var molm = UniqueName("molm");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), tiny, Actor, default);
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.MolmLike), molm, Actor, default);
        var foreign = (await Assemblies.GetAsync(new AssemblyRef(molm), default)).Manifest.Layers[0].Attention[0];

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Assemblies.ComposeAsync(
            new ComposeRequest(UniqueName("bad"), new AssemblyRef(tiny), Add: [new ModuleAddition(foreign.VersionId)]), Actor, default));

        Assert.Equal($"layer0.attn.expert0@v{foreign.Version}", error.Target);
        Assert.Contains("family", error.Message);
    }

    [Fact]
    public async Task RemovingTheSharedPart_IsRejectedNamingTheMissingSlot()
    {
        var name = UniqueName("shared");
        await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);
        var shared = (await Assemblies.GetAsync(new AssemblyRef(name), default)).Manifest.Layers[1].Shared;

        var error = await Assert.ThrowsAsync<InvalidModuleOperationException>(() => Assemblies.ComposeAsync(
            new ComposeRequest(UniqueName("x"), new AssemblyRef(name), Remove: [shared.VersionId]), Actor, default));

        Assert.Equal("layer1.shared", error.Target);
    }

    [Fact]
    public async Task ComposingWithoutChanges_ReturnsTheLatestVersionOfThatName()
    {
        var name = UniqueName("same");
        var imported = await Importer.ImportFolderAsync(Checkpoints.Fixture(Checkpoints.Tiny), name, Actor, default);

        var composed = await Assemblies.ComposeAsync(new ComposeRequest(name, new AssemblyRef(name)), Actor, default);

        Assert.Equal((imported.AssemblyId, 1), (composed.Summary.Id, composed.Summary.Version));
    }
}
