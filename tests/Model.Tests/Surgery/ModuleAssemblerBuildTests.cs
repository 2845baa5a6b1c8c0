using ModuleService.Model.Surgery;
using Xunit;
using static ModuleService.Model.Tests.Surgery.SurgeryTestData;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Surgery;

/// <summary><see cref="ModuleAssembler.Build"/> gives the model of <see cref="ModuleAssembler.Assemble"/>'s state dict, one part at a time.</summary>
public sealed class ModuleAssemblerBuildTests
{
    [Theory]
    [MemberData(nameof(Variants), MemberType = typeof(SurgeryTestData))]
    public void Build_HoldsTheWeightsOfTheAssembledStateDict(string variant)
    {
        using var scope = NewDisposeScope();
        var config = Config(variant);
        var set = ModuleSplitter.Split(config, RandomStateDict(config));
        var parts = WithPermutedLayer1Attention(set);
        var (expectedConfig, expected) = ModuleAssembler.Assemble(set.Family, parts);

        using var model = ModuleAssembler.Build(set.Family, Sources(parts));

        Assert.Equal(expectedConfig, model.Config);
        Assert.False(model.training);
        AssertSameStateDict(expected, WithoutBuffers(model.state_dict()));
    }

    [Fact]
    public void Build_WithBorrowedExperts_GrowsTheModel()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var parts = WithBorrowedMlpExperts(ModuleSplitter.Split(config, RandomStateDict(config, seed: 1)),
            ModuleSplitter.Split(config, RandomStateDict(config, seed: 2)));
        var (expectedConfig, expected) = ModuleAssembler.Assemble(config, parts);

        using var model = ModuleAssembler.Build(config, Sources(parts));

        Assert.Equal(config.MlpExperts + 2, model.Config.MlpExperts);
        AssertSameStateDict(expected, WithoutBuffers(model.state_dict()));
    }

    [Fact]
    public void Build_InBfloat16_ConvertsEachPartOnTheWayIn()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var set = ModuleSplitter.Split(config, RandomStateDict(config));
        var (_, expected) = ModuleAssembler.Assemble(set.Family, set.Parts);

        using var model = ModuleAssembler.Build(set.Family, Sources(set.Parts), ScalarType.BFloat16);

        Assert.Equal(ScalarType.BFloat16, model.DType);
        AssertSameStateDict(expected.ToDictionary(pair => pair.Key, pair => pair.Value.to(ScalarType.BFloat16)), WithoutBuffers(model.state_dict()));
    }

    [Fact]
    public void Build_OpensEveryPartOnce_AndDisposesItBeforeOpeningTheNext()
    {
        using var scope = NewDisposeScope();
        var config = Config();
        var set = ModuleSplitter.Split(config, RandomStateDict(config));
        var opened = new List<ModulePart>();
        void Opening(ModulePart part)
        {
            Assert.All(opened, earlier => Assert.All(earlier.Tensors.Values, tensor => Assert.True(tensor.IsInvalid, $"{earlier.Name} is still open")));
            opened.Add(part);
        }

        using var model = ModuleAssembler.Build(set.Family, Sources(set.Parts, Opening));

        Assert.Equal(set.Parts.Select(part => part.Name).Order(), opened.Select(part => part.Name).Order());
        Assert.All(opened[^1].Tensors.Values, tensor => Assert.True(tensor.IsInvalid));
    }
}
