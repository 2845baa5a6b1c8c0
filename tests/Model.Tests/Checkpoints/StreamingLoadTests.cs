using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

/// <summary>
/// <see cref="ModelCheckpoint.Load"/> streams safetensors into the parameters; it must give exactly the weights of
/// the full-state-dict path, and the tensor-by-tensor writer exactly the bytes of the dictionary writer.
/// </summary>
public sealed class StreamingLoadTests
{
    public static TheoryData<string, ScalarType> Cases() => new()
    {
        { "reference-tiny", ScalarType.Float32 },
        { "reference-tiny", ScalarType.BFloat16 },
        { "reference-tiny-molmlike", ScalarType.Float32 },
        { "reference-tiny-molmlike", ScalarType.BFloat16 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void StreamingLoad_GivesTheWeightsOfTheStateDictPath(string fixture, ScalarType dtype)
    {
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir(fixture), dtype);
        using var viaStateDict = ModelCheckpoint.FromStateDict(config, stateDict);
        DisposeAll(stateDict.Values);
        using var streamed = ModelCheckpoint.Load(FixtureDir(fixture), dtype);

        var expected = viaStateDict.state_dict();
        var actual = streamed.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(dtype, actual[name].dtype);
            Assert.True(BitwiseEqual(tensor, actual[name]), $"'{name}' differs");
        }
        Assert.False(streamed.training);
    }

    [Fact]
    public void StreamingLoad_ReadsShardedSafetensors()
    {
        using var dir = new TempDir();
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny"), dtype: null);
        var names = stateDict.Keys.Order(StringComparer.Ordinal).ToList();
        var shards = new[] { names.Take(names.Count / 2), names.Skip(names.Count / 2) };
        var weightMap = new Dictionary<string, string>();
        for (int i = 0; i < shards.Length; i++)
        {
            var file = $"model-{i + 1:D5}-of-00002.safetensors";
            SafetensorsWriter.Save(dir.File(file), shards[i].ToDictionary(n => n, n => stateDict[n]));
            foreach (var name in shards[i]) weightMap[name] = file;
        }
        File.WriteAllText(dir.File(CheckpointLoader.SafetensorsIndexFile), System.Text.Json.JsonSerializer.Serialize(new { weight_map = weightMap }));
        config.Save(dir.File(CheckpointLoader.ConfigFile));

        using var streamed = ModelCheckpoint.Load(dir.Path);
        foreach (var (name, tensor) in streamed.state_dict())
            Assert.True(BitwiseEqual(stateDict[name], tensor), $"'{name}' differs");
        DisposeAll(stateDict.Values);
    }

    [Fact]
    public void StreamingLoad_RejectsAWrongShapeBeforeReadingData()
    {
        using var dir = new TempDir();
        var (config, stateDict) = CheckpointLoader.Load(FixtureDir("reference-tiny"), dtype: null);
        var name = "transformer.ln_f.bias";
        stateDict[name].Dispose();
        stateDict[name] = zeros(config.HiddenSize + 1);
        SafetensorsWriter.Save(dir.File(CheckpointLoader.SafetensorsFile), stateDict);
        config.Save(dir.File(CheckpointLoader.ConfigFile));

        var e = Assert.Throws<CheckpointFormatException>(() => ModelCheckpoint.Load(dir.Path));
        Assert.Contains(name, e.Message);
        Assert.Contains("wrong shape", e.Message);
        DisposeAll(stateDict.Values);
    }

    [Fact]
    public void TensorByTensorWriter_WritesTheBytesOfTheDictionaryWriter()
    {
        using var dir = new TempDir();
        var stateDict = CheckpointLoader.LoadStateDict(FixtureDir("reference-tiny-molmlike"), dtype: null);
        SafetensorsWriter.Save(dir.File("dictionary.safetensors"), stateDict);
        var specs = stateDict.Select(p => new SafetensorsWriter.TensorSpec(p.Key, p.Value.dtype, p.Value.shape)).Reverse().ToList();
        SafetensorsWriter.Save(dir.File("streamed.safetensors"), specs, spec => stateDict[spec.Name].clone());

        Assert.Equal(File.ReadAllBytes(dir.File("dictionary.safetensors")), File.ReadAllBytes(dir.File("streamed.safetensors")));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(dir.File("bad.safetensors"), specs,
            spec => stateDict[spec.Name].to_type(ScalarType.Float64)));
        DisposeAll(stateDict.Values);
    }
}
