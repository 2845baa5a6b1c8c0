using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>A model exported and imported again, or split into modules and reassembled, is the same model.</summary>
public sealed class ExportImportTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("modsvc-export-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData("reference-tiny")]
    [InlineData("reference-tiny-molmlike")]
    public void ExportThenImportIsBitIdentical(string fixtureName)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        using var scope = NewDisposeScope();
        using var model = ModelCheckpoint.Load(fixture.Directory);
        ModelCheckpoint.Save(model, directory);
        using var reloaded = ModelCheckpoint.Load(directory);

        AssertSameTensors(model.state_dict(), reloaded.state_dict());
        // The exported file carries the reference's buffers too, so a strict PyTorch load accepts it.
        var stored = CheckpointLoader.LoadStateDict(directory).Keys.Order().ToList();
        Assert.Equal(fixture.StateDict.Select(e => e.Name).Order().ToList(), stored);
    }

    [Theory]
    [InlineData("reference-tiny", ScalarType.Float32)]
    [InlineData("reference-tiny-molmlike", ScalarType.BFloat16)]
    public void SplitThenAssembleGivesTheSameModel(string fixtureName, ScalarType dtype)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        using var scope = NewDisposeScope();
        var (config, stateDict) = CheckpointLoader.Load(fixture.Directory, dtype);
        using var modules = ModuleSplitter.Split(config, stateDict);
        // Parts may arrive in any order of layers; within a layer and kind, list order is expert order.
        var (assembledConfig, assembled) = ModuleAssembler.Assemble(modules.Family, modules.Parts.OrderByDescending(p => p.Layer ?? -1).ToList());

        AssertSameTensors(stateDict, assembled);
        Assert.Equal(config.AttentionExperts, assembledConfig.AttentionExperts);
        using var model = ModelCheckpoint.FromStateDict(assembledConfig, assembled);
        using var _ = inference_mode();
        var c = fixture.Cases[3];
        var logits = model.forward(c.InputTensor(), c.MaskTensor()).Logits;
        ReferenceParityTests.AssertClose(c.Logits.ToTensor(), logits, dtype == ScalarType.Float32 ? 1e-4 : 0.15, "logits after reassembly");
    }

    private static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.dtype, actual[name].dtype);
            Assert.Equal(tensor.shape, actual[name].shape);
            Assert.True(tensor.bytes.SequenceEqual(actual[name].bytes), $"{name} differs");
        }
    }
}
