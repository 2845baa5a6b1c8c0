using ModuleService.Model.Surgery;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Surgery;

/// <summary>Configs, random state dicts and bitwise comparisons for the surgery tests.</summary>
static class SurgeryTestData
{
    public static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "reference-tiny");

    public static readonly TheoryData<string> Variants = ["projected-mlp", "projected-linear", "identity-mlp", "identity-linear"];

    /// <summary>The reference-tiny config, optionally with identity K/V (n_head 1, att_hidden = n_embd) and/or a linear gate.</summary>
    public static ModuleFormerConfig Config(string variant = "projected-mlp")
    {
        var config = ModuleFormerConfig.Load(Path.Combine(FixtureDirectory, "config.json"));
        if (variant.StartsWith("identity")) config = config with { Heads = 1, AttentionHidden = config.HiddenSize };
        if (variant.EndsWith("linear")) config = config with { GateType = "linear" };
        config.Validate();
        return config;
    }

    /// <summary>
    /// A state dict written out by hand from the reference key list (not from ModuleLayout, so a layout bug cannot
    /// hide itself), filled with seeded normal noise.
    /// </summary>
    public static Dictionary<string, Tensor> RandomStateDict(ModuleFormerConfig c, ulong seed = 7, bool withBuffers = false,
        ScalarType dtype = ScalarType.Float32)
    {
        var generator = new Generator(seed);
        var stateDict = new Dictionary<string, Tensor>();
        void Add(string key, params long[] shape) => stateDict[key] = randn(shape, generator: generator).to(dtype);
        long d = c.HiddenSize, a = c.AttentionHidden, f = c.MlpHidden, g = c.GatingSize, v = c.VocabSize;
        Add("transformer.wte.weight", v, d);
        for (var i = 0; i < c.Layers; i++)
        {
            var h = $"transformer.h.{i}.";
            Add(h + "ln_1.weight", d);
            Add(h + "ln_1.bias", d);
            if (withBuffers)
            {
                long size = c.HistoryLength + c.BlockSize;
                stateDict[h + "attn.mask"] = ones(size, size, ScalarType.Int8).tril();
                stateDict[h + "attn.cum_weight"] = ones(size, size).tril(-1);
            }
            Add(h + "attn.q_proj.experts.weight", c.AttentionExperts, d, a);
            Add(h + "attn.q_proj.output_experts.weight", c.AttentionExperts, a, d);
            AddGate(h + "attn.q_proj.gate.", c.AttentionExperts);
            if (!c.IdentityKeyValue)
            {
                Add(h + "attn.k_proj.weight", a, d);
                Add(h + "attn.k_proj.bias", a);
                Add(h + "attn.v_proj.weight", a, d);
                Add(h + "attn.v_proj.bias", a);
            }
            Add(h + "ln_2.weight", d);
            Add(h + "ln_2.bias", d);
            Add(h + "mlpf.experts.weight", c.MlpExperts, d, f);
            Add(h + "mlpf.output_experts.weight", c.MlpExperts, f, d);
            AddGate(h + "mlpf.gate.", c.MlpExperts);
        }
        Add("transformer.ln_f.weight", d);
        Add("transformer.ln_f.bias", d);
        Add("lm_head.weight", v, d);
        return stateDict;

        void AddGate(string gate, long experts)
        {
            if (c.GateType == "linear") { Add(gate + "w_gate.weight", experts, d); return; }
            Add(gate + "w_gate.0.weight", g, d);
            Add(gate + "w_gate.0.bias", g);
            Add(gate + "w_gate.3.weight", experts, g);
        }
    }

    /// <summary>All tensors of a safetensors file (F32 and I8 only, which is what the fixtures hold).</summary>
    public static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in header.RootElement.EnumerateObject().Where(entry => entry.Name != "__metadata__"))
        {
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(dim => dim.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => (int)o.GetInt64()).ToArray();
            var data = bytes.AsSpan(8 + headerLength + offsets[0], offsets[1] - offsets[0]);
            result[entry.Name] = entry.Value.GetProperty("dtype").GetString() switch
            {
                "F32" => tensor(MemoryMarshal.Cast<byte, float>(data).ToArray(), shape),
                "I8" => tensor(data.ToArray(), shape).to(ScalarType.Int8),
                var other => throw new NotSupportedException($"{entry.Name}: dtype {other}"),
            };
        }
        return result;
    }

    /// <summary>Same dtype, same shape, same bytes (so NaN payloads and signed zeros count too).</summary>
    public static void AssertBitIdentical(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.dtype == actual.dtype, $"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        using var expectedContiguous = expected.contiguous();
        using var actualContiguous = actual.contiguous();
        Assert.True(expectedContiguous.bytes.SequenceEqual(actualContiguous.bytes), $"{what}: bytes differ");
    }

    /// <summary>Same key set and bit-identical tensors.</summary>
    public static void AssertSameStateDict(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected) AssertBitIdentical(tensor, actual[key], key);
    }

    /// <summary>Layer 1's attention experts in this order: list positions, not original indices, place the rows.</summary>
    public static readonly int[] PermutedAttention = [2, 0, 3, 1];

    /// <summary>All parts of <paramref name="set"/>, layer 1's attention experts moved to the end in <see cref="PermutedAttention"/> order.</summary>
    public static List<ModulePart> WithPermutedLayer1Attention(ModuleSet set) =>
        set.Parts.Where(part => !(part.Kind == ModuleKind.AttentionExpert && part.Layer == 1))
            .Concat(PermutedAttention.Select(expert => set.Find($"layer1.attn.expert{expert}")!))
            .ToList();

    /// <summary>All parts of <paramref name="first"/> plus MLP experts 0 and 1 of <paramref name="second"/>, renamed
    /// "second.…" (a registry keeps names unique by versioning them; here a prefix does that).</summary>
    public static List<ModulePart> WithBorrowedMlpExperts(ModuleSet first, ModuleSet second) =>
    [
        .. first.Parts,
        .. second.Parts.Where(part => part.Kind == ModuleKind.MlpExpert && part.ExpertIndex < 2).Select(part => part with { Name = "second." + part.Name }),
    ];

    /// <summary>Sources that open a fresh copy of each part (<see cref="ModuleAssembler.Build"/> disposes what it opens).</summary>
    public static List<PartSource> Sources(IEnumerable<ModulePart> parts, Action<ModulePart>? opened = null) =>
        parts.Select(part => new PartSource(part.Kind, part.Layer, part.ExpertIndex, part.Name, () =>
        {
            var copy = part with { Tensors = part.Tensors.ToDictionary(pair => pair.Key, pair => pair.Value.clone()) };
            opened?.Invoke(copy);
            return copy;
        })).ToList();

    /// <summary>The state dict without the attention buffers, which surgery drops.</summary>
    public static Dictionary<string, Tensor> WithoutBuffers(IReadOnlyDictionary<string, Tensor> stateDict) =>
        stateDict.Where(pair => !pair.Key.EndsWith(".attn.mask") && !pair.Key.EndsWith(".attn.cum_weight"))
            .ToDictionary(pair => pair.Key, pair => pair.Value);
}
