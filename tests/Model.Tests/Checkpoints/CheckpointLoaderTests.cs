using System.Text.Json;
using ModuleService.Model.Checkpoints;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class CheckpointLoaderTests
{
    public static TheoryData<string> FixtureNames() => new(Fixtures);

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void LoadStateDict_MatchesFixtureJsonNamesShapesAndDtypes(string fixture)
    {
        var tensors = CheckpointLoader.LoadStateDict(FixtureDir(fixture), dtype: null);
        var expected = FixtureStateDict(fixture);
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var e in expected)
        {
            Assert.Equal(e.Shape, tensors[e.Name].shape);
            Assert.Equal(e.DType, TorchName(tensors[e.Name].dtype));
            Assert.Equal(e.PersistentBuffer, ModuleFormerStateDict.IsBuffer(e.Name));
        }
        DisposeAll(tensors.Values);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Load_ValidatesAndDropsBuffers(string fixture)
    {
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir(fixture));
        Assert.Equal(2, config.Layers);
        var expected = ModuleFormerStateDict.ExpectedShapes(config);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), stateDict.Keys.Order(StringComparer.Ordinal));
        Assert.All(stateDict.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        DisposeAll(stateDict.Values);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void BinOnlyFolder_LoadsIdenticallyToSafetensors(string fixture)
    {
        using var dir = new TempDir();
        CopyFixture(fixture, dir, "config.json", "pytorch_model.bin");
        var fromBin = CheckpointLoader.LoadStateDict(dir.Path, dtype: null);
        var fromSafetensors = CheckpointLoader.LoadStateDict(FixtureDir(fixture), dtype: null);
        AssertSameTensors(fromSafetensors, fromBin);
        DisposeAll(fromBin.Values.Concat(fromSafetensors.Values));
    }

    [Theory]
    [InlineData("reference-tiny", true)]
    [InlineData("reference-tiny-molmlike", true)]
    [InlineData("reference-tiny", false)]
    public void ShardedFolder_LoadsIdentically(string fixture, bool safetensors)
    {
        using var dir = new TempDir();
        var original = CheckpointLoader.LoadStateDict(FixtureDir(fixture), dtype: null);
        WriteShards(dir, fixture, original, safetensors);
        var sharded = CheckpointLoader.LoadStateDict(dir.Path, dtype: null);
        AssertSameTensors(original, sharded);
        var (_, validated) = CheckpointLoader.Load(dir.Path);
        Assert.DoesNotContain(validated.Keys, ModuleFormerStateDict.IsBuffer);
        DisposeAll(original.Values.Concat(sharded.Values).Concat(validated.Values));
    }

    [Fact]
    public void ShardedFolder_MissingShard_NamesTheShard()
    {
        using var dir = new TempDir();
        var original = CheckpointLoader.LoadStateDict(FixtureDir("reference-tiny"), dtype: null);
        var (first, second) = WriteShards(dir, "reference-tiny", original, safetensors: true);
        File.Delete(dir.File(second));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.LoadStateDict(dir.Path));
        Assert.Contains(second, e.Message);
        Assert.NotNull(e.TensorName);
        DisposeAll(original.Values);
    }

    [Fact]
    public void ShardedFolder_TensorInTwoShards_IsRejected()
    {
        using var dir = new TempDir();
        var original = CheckpointLoader.LoadStateDict(FixtureDir("reference-tiny"), dtype: null);
        var (first, second) = WriteShards(dir, "reference-tiny", original, safetensors: true);
        // Rewrite the second shard with an extra copy of a tensor that the index assigns to the first one.
        var tensors = SafetensorsReader.Load(dir.File(second));
        SafetensorsWriter.Save(dir.File(second), new Dictionary<string, Tensor>(tensors) { ["lm_head.weight"] = original["lm_head.weight"] });
        DisposeAll(tensors.Values);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.LoadStateDict(dir.Path));
        Assert.Equal("lm_head.weight", e.TensorName);
        Assert.Contains("two shards", e.Message);
        DisposeAll(original.Values);
    }

    [Fact]
    public void EmptyFolder_Throws()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.LoadStateDict(dir.Path));
        Assert.Contains("no weights found", e.Message);
        Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Load(dir.Path)); // no config.json
    }

    [Fact]
    public void DtypeOption_ConvertsFloatingTensorsOnly()
    {
        var bf16 = CheckpointLoader.LoadStateDict(FixtureDir("reference-tiny"), ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16["lm_head.weight"].dtype);
        Assert.Equal(ScalarType.Int8, bf16["transformer.h.0.attn.mask"].dtype);
        using var dir = new TempDir();
        CopyFixture("reference-tiny", dir, "config.json");
        SafetensorsWriter.Save(dir.File("model.safetensors"), bf16);
        // Default load brings bf16 weights back to float32; null keeps them as stored.
        var (_, f32) = CheckpointLoader.Load(dir.Path);
        var (_, kept) = CheckpointLoader.Load(dir.Path, dtype: null);
        Assert.Equal(ScalarType.Float32, f32["lm_head.weight"].dtype);
        Assert.Equal(ScalarType.BFloat16, kept["lm_head.weight"].dtype);
        Assert.True(BitwiseEqual(bf16["lm_head.weight"], kept["lm_head.weight"]));
        DisposeAll(bf16.Values.Concat(f32.Values).Concat(kept.Values));
    }

    /// <summary>Splits a state dict into two shards plus a Hugging Face index; returns the shard file names.</summary>
    static (string First, string Second) WriteShards(TempDir dir, string fixture, Dictionary<string, Tensor> tensors, bool safetensors)
    {
        CopyFixture(fixture, dir, "config.json");
        var ext = safetensors ? "safetensors" : "bin";
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var files = new[] { $"model-00001-of-00002.{ext}", $"model-00002-of-00002.{ext}" };
        var weightMap = new Dictionary<string, string>();
        for (int s = 0; s < 2; s++)
        {
            var part = names.Where((_, i) => i % 2 == s).ToDictionary(n => n, n => tensors[n]);
            foreach (var n in part.Keys) weightMap[n] = files[s];
            if (safetensors) SafetensorsWriter.Save(dir.File(files[s]), part);
            else PyTorchPickler.PickleStateDict(dir.File(files[s]), part);
        }
        var index = new { metadata = new { total_size = tensors.Values.Sum(t => t.NumberOfElements * t.ElementSize) }, weight_map = weightMap };
        File.WriteAllText(dir.File(safetensors ? CheckpointLoader.SafetensorsIndexFile : CheckpointLoader.PyTorchIndexFile), JsonSerializer.Serialize(index));
        return (files[0], files[1]);
    }
}
