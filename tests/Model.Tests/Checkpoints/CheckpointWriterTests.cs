using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class CheckpointWriterTests
{
    public static TheoryData<string> FixtureNames() => new(Fixtures);

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void SaveThenLoad_IsBitIdentical_AndReproducesTheReferenceFile(string fixture)
    {
        using var dir = new TempDir();
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir(fixture));
        CheckpointWriter.Save(dir.Path, config, stateDict);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());

        var (reloadedConfig, reloaded) = CheckpointLoader.Load(dir.Path, dtype: null);
        AssertSameTensors(stateDict, reloaded);
        Assert.Equal(config.HiddenSize, reloadedConfig.HiddenSize);
        Assert.Equal(config.BosTokenId, reloadedConfig.BosTokenId);

        // With the regenerated buffers the export holds exactly the reference tensors, buffers bit-equal too.
        var written = CheckpointLoader.LoadStateDict(dir.Path, dtype: null);
        var reference = CheckpointLoader.LoadStateDict(FixtureDir(fixture), dtype: null);
        AssertSameTensors(reference, written);
        Assert.Equal(FixtureStateDict(fixture).Select(e => e.Name).Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        DisposeAll(stateDict.Values.Concat(reloaded.Values).Concat(written.Values).Concat(reference.Values));

        // The reference file uses the same layout (element size descending, then name): data sections are identical.
        Assert.Equal(DataSection(Path.Combine(FixtureDir(fixture), "model.safetensors")), DataSection(dir.File("model.safetensors")));
    }

    static byte[] DataSection(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return File.ReadAllBytes(path)[(int)reader.DataStart..];
    }

    [Fact]
    public void Bf16StateDict_RoundTripsBitIdentical_AndBuffersHaveReferenceValues()
    {
        using var dir = new TempDir();
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny"), ScalarType.BFloat16);
        CheckpointWriter.Save(dir.Path, config, stateDict);
        var written = CheckpointLoader.LoadStateDict(dir.Path, dtype: null);
        foreach (var (name, tensor) in stateDict) Assert.True(BitwiseEqual(tensor, written[name]), name);

        var mask = written[ModuleFormerStateDict.MaskName(1)];
        var cumWeight = written[ModuleFormerStateDict.CumWeightName(1)];
        Assert.Equal(ScalarType.Int8, mask.dtype);
        Assert.Equal(ScalarType.Float32, cumWeight.dtype);
        Assert.Equal(new long[] { 256, 256 }, cumWeight.shape);
        Assert.Equal(1, mask[3, 3].item<sbyte>());
        Assert.Equal(0, mask[3, 4].item<sbyte>());
        Assert.Equal(0f, cumWeight[3, 3].item<float>());
        Assert.Equal(1f, cumWeight[3, 2].item<float>());
        DisposeAll(stateDict.Values.Concat(written.Values));
    }

    [Fact]
    public void WithoutBuffers_WritesParametersOnly()
    {
        using var dir = new TempDir();
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny-molmlike"));
        CheckpointWriter.Save(dir.Path, config, stateDict, includeBuffers: false);
        using (var reader = SafetensorsReader.Open(dir.File("model.safetensors")))
            Assert.Equal(ModuleFormerStateDict.ExpectedShapes(config).Keys.Order(StringComparer.Ordinal), reader.Entries.Keys.Order(StringComparer.Ordinal));
        DisposeAll(stateDict.Values);
    }

    [Fact]
    public void InvalidStateDict_WritesNothing()
    {
        using var dir = new TempDir();
        var target = Path.Combine(dir.Path, "out");
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny"));
        stateDict.Remove("lm_head.weight", out var removed);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointWriter.Save(target, config, stateDict));
        Assert.Equal("lm_head.weight", e.TensorName);
        Assert.False(Directory.Exists(target));
        DisposeAll(stateDict.Values.Append(removed!));
    }

    [Fact]
    public void FailedRename_LeavesOldFilesAndNoTemporaries()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), "old");
        Directory.CreateDirectory(dir.File("model.safetensors")); // makes the final rename fail after both files are staged
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny"));
        Assert.ThrowsAny<IOException>(() => CheckpointWriter.Save(dir.Path, config, stateDict));
        Assert.Equal("old", File.ReadAllText(dir.File("config.json")));
        Assert.Equal(["config.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        DisposeAll(stateDict.Values);
    }
}
