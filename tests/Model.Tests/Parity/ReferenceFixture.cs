using System.Text.Json;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>A reference fixture folder: checkpoint files plus the outputs the PyTorch implementation recorded.</summary>
public sealed class ReferenceFixture
{
    public static readonly string[] Names = ["reference-tiny", "reference-tiny-molmlike"];

    private static readonly Dictionary<string, ReferenceFixture> Loaded = [];

    public required string Directory { get; init; }
    public required ModuleFormerConfig Config { get; init; }
    public required IReadOnlyList<FixtureCase> Cases { get; init; }
    public required IReadOnlyList<(string Name, long[] Shape, string DType)> StateDict { get; init; }

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>Parsed once per test run: fixture.json is 6 MB.</summary>
    public static ReferenceFixture Load(string name)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var cached)) return cached;
            var directory = PathOf(name);
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "fixture.json")));
            var root = json.RootElement;
            var fixture = new ReferenceFixture
            {
                Directory = directory,
                Config = ModuleFormerConfig.Load(Path.Combine(directory, "config.json")),
                Cases = root.GetProperty("cases").EnumerateArray().Select(FixtureCase.Parse).ToList(),
                StateDict = root.GetProperty("state_dict").EnumerateArray()
                    .Select(e => (e.GetProperty("name").GetString()!, e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(), e.GetProperty("dtype").GetString()!))
                    .ToList(),
            };
            Loaded[name] = fixture;
            return fixture;
        }
    }
}

/// <summary>One recorded case; arrays are kept flat with their shapes.</summary>
public sealed record FixtureCase(
    string Name,
    long[][] InputIds,
    long[][]? AttentionMask,
    FlatArray Logits,
    IReadOnlyList<FlatArray> HiddenStates,
    IReadOnlyList<(long[][] AttnIndices, FlatArray AttnGates, long[][] MlpIndices, FlatArray MlpGates)> Routing,
    IReadOnlyList<(double Attn, double Mlp)> AuxLossPerLayer,
    double AuxLossTotal,
    double? LmLoss,
    long[][] GreedyNewIds,
    FlatArray GreedyStepLogits)
{
    public int Batch => InputIds.Length;
    public int Time => InputIds[0].Length;

    public Tensor InputTensor() => tensor(InputIds.SelectMany(r => r).ToArray(), [Batch, Time]);
    public Tensor? MaskTensor() => AttentionMask is null ? null : tensor(AttentionMask.SelectMany(r => r).ToArray(), [Batch, Time]);

    public static FixtureCase Parse(JsonElement c)
    {
        var routing = c.GetProperty("routing").EnumerateArray().Select(layer =>
            (Ints(layer.GetProperty("attn").GetProperty("topk_indices")), FlatArray.Parse(layer.GetProperty("attn").GetProperty("topk_gates")),
             Ints(layer.GetProperty("mlp").GetProperty("topk_indices")), FlatArray.Parse(layer.GetProperty("mlp").GetProperty("topk_gates")))).ToList();
        var aux = c.GetProperty("aux_loss");
        var greedy = c.GetProperty("greedy");
        var mask = c.GetProperty("attention_mask");
        var lmLoss = c.GetProperty("lm_loss");
        return new FixtureCase(
            c.GetProperty("name").GetString()!,
            Ints(c.GetProperty("input_ids")),
            mask.ValueKind == JsonValueKind.Null ? null : Ints(mask),
            FlatArray.Parse(c.GetProperty("logits")),
            c.GetProperty("hidden_states").EnumerateArray().Select(FlatArray.Parse).ToList(),
            routing,
            aux.GetProperty("per_layer").EnumerateArray().Select(l => (l.GetProperty("attn").GetDouble(), l.GetProperty("mlp").GetDouble())).ToList(),
            aux.GetProperty("total").GetDouble(),
            lmLoss.ValueKind == JsonValueKind.Null ? null : lmLoss.GetDouble(),
            Ints(greedy.GetProperty("new_ids")),
            FlatArray.Parse(greedy.GetProperty("step_logits")));
    }

    private static long[][] Ints(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
}

/// <summary>A nested JSON number array flattened, with its shape.</summary>
public sealed record FlatArray(float[] Values, long[] Shape)
{
    public Tensor ToTensor() => tensor(Values, Shape);

    public static FlatArray Parse(JsonElement e)
    {
        var shape = new List<long>();
        for (var probe = e; probe.ValueKind == JsonValueKind.Array; probe = probe[0]) shape.Add(probe.GetArrayLength());
        var values = new List<float>();
        Flatten(e, values);
        return new FlatArray(values.ToArray(), shape.ToArray());
    }

    private static void Flatten(JsonElement e, List<float> into)
    {
        if (e.ValueKind == JsonValueKind.Array) foreach (var item in e.EnumerateArray()) Flatten(item, into);
        else into.Add(e.GetSingle());
    }
}
