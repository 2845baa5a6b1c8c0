using System.Text.Json;
using ModuleService.Jobs;
using ModuleService.Jobs.Finetune;
using ModuleService.Model;
using ModuleService.Registry.Assemblies;
using Xunit;

namespace ModuleService.Api.Tests.Jobs;

/// <summary>
/// The finetune job's <c>modules</c> words against a manifest, without a database: which module parts (by position in
/// the model) train. Layer 0's MLP experts carry the names of a pruned assembly, so names and positions differ there.
/// </summary>
public sealed class FinetuneModulesTests
{
    static readonly ModuleFormerConfig Config = ModuleFormerConfig.FromJson(JsonSerializer.Serialize(JobHttp.TinyConfig), "test");
    static readonly Manifest Tiny = new("family", Entry("embedding"), Entry("head"),
    [
        new ManifestLayer(Entry("layer0.shared"), [Entry("layer0.attn.expert0"), Entry("layer0.attn.expert1")],
            [Entry("layer0.mlp.expert0"), Entry("layer0.mlp.expert2"), Entry("layer0.mlp.expert3"), Entry("layer0.mlp.expert5")]),
        new ManifestLayer(Entry("layer1.shared"), [Entry("layer1.attn.expert0"), Entry("layer1.attn.expert1")],
            [Entry("layer1.mlp.expert0"), Entry("layer1.mlp.expert1"), Entry("layer1.mlp.expert2"), Entry("layer1.mlp.expert3")]),
    ]);

    static ManifestEntry Entry(string module) => new(Guid.NewGuid(), module, 1, module);

    static IReadOnlyList<string> Trained(params string[] items) =>
        [.. FinetuneModules.Resolve(items, Tiny, "tiny@1", new Dictionary<Guid, string>()).TrainedParts(Config).Order(StringComparer.Ordinal)];

    [Fact]
    public void NoItemsOrAll_TrainsEveryModule()
    {
        Assert.Equal(2 + 2 * (1 + 2 + 4), Trained().Count);
        Assert.Equal(Trained(), Trained("all", "mlp"));
    }

    [Fact]
    public void ModuleNames_MapToTheirPositions()
    {
        Assert.Equal(["layer0.mlp.expert3"], Trained("layer0.mlp.expert5"));
        Assert.Equal(["head", "layer1.shared"], Trained("layer1.shared", "head"));
    }

    [Fact]
    public void GroupWords_CoverTheirModules()
    {
        Assert.Equal(8, Trained("mlp").Count);
        Assert.All(Trained("mlp"), name => Assert.Contains(".mlp.", name));
        Assert.Equal(["layer1.attn.expert0", "layer1.attn.expert1"], Trained("layer1.attn"));
        Assert.Equal(["layer0.shared", "layer1.shared"], Trained("shared"));
        Assert.Equal(7, Trained("layer0").Count);
        Assert.Equal(12, Trained("experts").Count);
        Assert.Equal(Trained("experts", "shared"), Trained("routers"));   // router rows live in experts, the first Linear in shared
    }

    [Fact]
    public void Ids_SelectAVersionOrAModule()
    {
        var version = Tiny.Layers[1].Mlp[2];
        var moduleId = Guid.NewGuid();
        var byModule = FinetuneModules.Resolve([moduleId.ToString()], Tiny, "tiny@1", new Dictionary<Guid, string> { [moduleId] = "layer0.mlp.expert2" });

        Assert.Equal(["layer1.mlp.expert2"], Trained(version.VersionId.ToString()));
        Assert.Equal(["layer0.mlp.expert1"], byModule.TrainedParts(Config));
    }

    [Theory]
    [InlineData("layer0.mlp.expert1", "not a module of tiny@1")]
    [InlineData("layer2.mlp", "tiny@1 has 2 layers")]
    [InlineData("everything", "groups: all, experts")]
    public void UnknownItems_AreRefusedNamingModules(string item, string message)
    {
        var refused = Assert.Throws<JobParameterException>(() => Trained("mlp", item));

        Assert.Equal("modules", refused.Field);
        Assert.Contains(message, refused.Message);
    }
}
