using ModuleService.Model.Checkpoints;
using TorchSharp;
using Xunit;
using static ModuleService.Model.Tests.Checkpoints.CheckpointTestSupport;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Checkpoints;

public sealed class StateDictValidationTests
{
    public static TheoryData<string> FixtureNames() => new(Fixtures);

    static ModuleFormerConfig Config(string fixture) => ModuleFormerConfig.Load(Path.Combine(FixtureDir(fixture), "config.json"));

    /// <summary>Zero tensors with exactly the expected names and shapes.</summary>
    static Dictionary<string, Tensor> Zeros(ModuleFormerConfig config) =>
        ModuleFormerStateDict.ExpectedShapes(config).ToDictionary(p => p.Key, p => torch.zeros(p.Value));

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void ExpectedShapes_EqualFixtureParametersAndOrder(string fixture)
    {
        var expected = ModuleFormerStateDict.ExpectedShapes(Config(fixture));
        var parameters = FixtureStateDict(fixture).Where(e => !e.PersistentBuffer).ToList();
        Assert.Equal(parameters.Select(p => p.Name), expected.Keys);
        foreach (var p in parameters) Assert.Equal(p.Shape, expected[p.Name]);
        var buffers = ModuleFormerStateDict.BufferShapes(Config(fixture));
        foreach (var b in FixtureStateDict(fixture).Where(e => e.PersistentBuffer)) Assert.Equal(b.Shape, buffers[b.Name]);
    }

    [Fact]
    public void ExpectedShapes_MolmLikeHasNoKeyValueProjections_AndLinearGateHasOneWeight()
    {
        var molm = ModuleFormerStateDict.ExpectedShapes(Config("reference-tiny-molmlike"));
        Assert.DoesNotContain(molm.Keys, k => k.Contains("k_proj") || k.Contains("v_proj"));
        Assert.Equal(36 - 4, molm.Count);

        var linear = ModuleFormerStateDict.ExpectedShapes(Config("reference-tiny") with { GateType = "linear" });
        Assert.Equal(new long[] { 4, 64 }, linear["transformer.h.0.attn.q_proj.gate.w_gate.weight"]);
        Assert.Equal(new long[] { 8, 64 }, linear["transformer.h.1.mlpf.gate.w_gate.weight"]);
        Assert.DoesNotContain(linear.Keys, k => k.Contains("w_gate.0") || k.Contains("w_gate.3"));
    }

    [Fact]
    public void WrongShape_NamesTensorAndBothShapes()
    {
        var config = Config("reference-tiny");
        var sd = Zeros(config);
        sd["transformer.h.1.mlpf.experts.weight"].Dispose();
        sd["transformer.h.1.mlpf.experts.weight"] = torch.zeros(8, 128, 64);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Validate(config, sd, "my.safetensors"));
        Assert.Equal("transformer.h.1.mlpf.experts.weight", e.TensorName);
        Assert.Contains("transformer.h.1.mlpf.experts.weight", e.Message);
        Assert.Contains("[8, 64, 128]", e.Message);
        Assert.Contains("[8, 128, 64]", e.Message);
        Assert.Contains("my.safetensors", e.Message);
        DisposeAll(sd.Values);
    }

    [Fact]
    public void MissingTensor_IsNamed()
    {
        var config = Config("reference-tiny");
        var sd = Zeros(config);
        sd.Remove("transformer.h.0.attn.v_proj.bias");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Validate(config, sd));
        Assert.Equal("transformer.h.0.attn.v_proj.bias", e.TensorName);
        Assert.Contains("missing", e.Message);
        Assert.Contains("[32]", e.Message);
        DisposeAll(sd.Values);
    }

    [Fact]
    public void UnexpectedTensor_IsNamed_ButBuffersAreAccepted()
    {
        var config = Config("reference-tiny-molmlike");
        var sd = Zeros(config);
        sd[ModuleFormerStateDict.MaskName(1)] = torch.ones(7, 7, ScalarType.Int8);
        sd[ModuleFormerStateDict.CumWeightName(0)] = torch.ones(3, 3);
        CheckpointLoader.Validate(config, sd);

        sd["transformer.h.0.attn.k_proj.weight"] = torch.zeros(64, 64); // identity K/V: no projection exists
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Validate(config, sd));
        Assert.Equal("transformer.h.0.attn.k_proj.weight", e.TensorName);
        Assert.Contains("unexpected", e.Message);
        Assert.Contains("[64, 64]", e.Message);

        sd.Remove("transformer.h.0.attn.k_proj.weight", out var extra);
        extra!.Dispose();
        sd[ModuleFormerStateDict.MaskName(2)] = torch.ones(1, dtype: ScalarType.Int8); // layer 2 does not exist
        Assert.Equal(ModuleFormerStateDict.MaskName(2), Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Validate(config, sd)).TensorName);
        DisposeAll(sd.Values);
    }

    [Fact]
    public void IntegerParameter_IsRejected()
    {
        var config = Config("reference-tiny");
        var sd = Zeros(config);
        sd["lm_head.weight"].Dispose();
        sd["lm_head.weight"] = torch.zeros(new long[] { 512, 64 }, ScalarType.Int32);
        Assert.Equal("lm_head.weight", Assert.Throws<CheckpointFormatException>(() => CheckpointLoader.Validate(config, sd)).TensorName);
        DisposeAll(sd.Values);
    }
}
