using ModuleService.Model.Surgery;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Surgery.SurgeryTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Surgery;

public sealed class ModuleAssemblerValidationTests : IDisposable
{
    readonly DisposeScope scope = NewDisposeScope();
    readonly ModuleFormerConfig config = Config();
    readonly ModuleSet set;

    public ModuleAssemblerValidationTests() => set = ModuleSplitter.Split(config, RandomStateDict(config));

    public void Dispose() => scope.Dispose();

    List<ModulePart> PartsWithout(string name) => set.Parts.Where(part => part.Name != name).ToList();

    List<ModulePart> PartsWith(string name, Func<ModulePart, ModulePart> change) =>
        set.Parts.Select(part => part.Name == name ? change(part) : part).ToList();

    static ModulePart WithTensor(ModulePart part, string key, Tensor tensor) =>
        part with { Tensors = new Dictionary<string, Tensor>(part.Tensors) { [key] = tensor } };

    /// <summary>Both ways of assembling refuse the parts: into a state dict, and part by part into a model.</summary>
    void AssertRejected(IReadOnlyList<ModulePart> parts, string part, string problemWord)
    {
        var error = Assert.Throws<ModuleSurgeryException>(() => ModuleAssembler.Assemble(config, parts));
        Assert.Equal(part, error.Part);
        Assert.Contains(problemWord, error.Problem);
        Assert.StartsWith(part + ": ", error.Message);

        var buildError = Assert.Throws<ModuleSurgeryException>(() => ModuleAssembler.Build(config, Sources(parts)));
        Assert.Equal(part, buildError.Part);
        Assert.Contains(problemWord, buildError.Problem);
    }

    [Theory]
    [InlineData("layer1.shared")]
    [InlineData("embedding")]
    [InlineData("head")]
    public void Assemble_MissingNonExpertPart_NamesIt(string name) => AssertRejected(PartsWithout(name), name, "missing");

    [Fact]
    public void Assemble_ShapeMismatch_NamesPart() =>
        AssertRejected(PartsWith("layer0.mlp.expert2", part => WithTensor(part, "experts.weight", zeros(64, 100))),
            "layer0.mlp.expert2", "shape");

    [Fact]
    public void Assemble_DtypeMismatch_NamesPart() =>
        AssertRejected(PartsWith("layer1.attn.expert1", part => part with
        {
            Tensors = part.Tensors.ToDictionary(pair => pair.Key, pair => pair.Value.to(ScalarType.Float64)),
        }), "layer1.attn.expert1", "dtype");

    [Fact]
    public void Assemble_MixedDtypeInsidePart_NamesPart() =>
        AssertRejected(PartsWith("layer1.shared", part => WithTensor(part, "ln_2.bias", zeros(64, dtype: ScalarType.BFloat16))),
            "layer1.shared", "ln_2.bias");

    [Fact]
    public void Assemble_UnexpectedTensor_NamesPart() =>
        AssertRejected(PartsWith("layer0.attn.expert0", part => WithTensor(part, "bias", zeros(32))),
            "layer0.attn.expert0", "unexpected tensor 'bias'");

    [Fact]
    public void Assemble_DuplicateExpert_NamesPart() =>
        AssertRejected([.. set.Parts, set.Find("layer0.mlp.expert3")!], "layer0.mlp.expert3", "duplicate");

    [Fact]
    public void Assemble_SecondSharedPartForLayer_NamesPart() =>
        AssertRejected([.. set.Parts, set.Find("layer1.shared")! with { Name = "layer1.shared.v2" }], "layer1.shared.v2", "duplicate");

    [Fact]
    public void Assemble_LayerOutsideFamily_NamesPart() =>
        AssertRejected(PartsWith("layer1.mlp.expert0", part => part with { Layer = 2 }), "layer1.mlp.expert0", "outside");

    [Fact]
    public void Assemble_FewerThanKExperts_NamesLayerGroup()
    {
        var parts = set.Parts.Where(part => !(part.Kind == ModuleKind.AttentionExpert && part.ExpertIndex > 0)).ToList();
        AssertRejected(parts, "layer0.attn", "k is 2");
    }

    [Fact]
    public void Assemble_UnequalCountsAcrossLayers_NamesLayerGroup() =>
        AssertRejected(PartsWithout("layer1.mlp.expert5"), "layer1.mlp", "layer0 has 8");

    [Fact]
    public void CheckPart_ExpertWithoutIndex_NamesPart()
    {
        var part = set.Find("layer0.mlp.expert1")! with { ExpertIndex = null };
        var error = Assert.Throws<ModuleSurgeryException>(() => ModuleLayout.CheckPart(config, part));
        Assert.Equal("layer0.mlp.expert1", error.Part);
    }
}
