using System.Collections.Concurrent;
using System.Text.Json;
using ModuleService.Api.Tests.Support;

namespace ModuleService.Api.Tests.Inference;

/// <summary>One case of a reference fixture.json (see /work/shared/fixtures/README.md), the parts the API tests use.</summary>
/// <param name="Logits">[batch][pos][vocab] of one full forward.</param>
/// <param name="StepLogits">[batch][step][vocab]: the logits that chose greedy new token <c>step</c>.</param>
/// <param name="Routing">per layer: attention and MLP top-k expert indices over flattened tokens b·T + t.</param>
public sealed record ReferenceCase(string Name, long[][] InputIds, bool Masked, float[][][] Logits, long[][] NewIds,
    float[][][] StepLogits, IReadOnlyList<(int[][] Attention, int[][] Mlp)> Routing)
{
    public int Batch => InputIds.Length;
    public int Length => InputIds[0].Length;

    /// <summary>log_softmax(logits)[id] in float64.</summary>
    public static double LogSoftmax(float[] logits, long id)
    {
        double max = logits.Max();
        double sum = logits.Sum(l => Math.Exp(l - max));
        return logits[id] - max - Math.Log(sum);
    }
}

public static class ReferenceFixture
{
    static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<ReferenceCase>>> Loaded = new();

    /// <summary>The cases of fixture <paramref name="fixture"/> (<c>reference-tiny</c> or <c>reference-tiny-molmlike</c>), parsed once.</summary>
    public static IReadOnlyList<ReferenceCase> Cases(string fixture) =>
        Loaded.GetOrAdd(fixture, f => new Lazy<IReadOnlyList<ReferenceCase>>(() => Load(f))).Value;

    public static ReferenceCase Case(string fixture, string name) => Cases(fixture).Single(c => c.Name == name);

    /// <summary>Names of the cases without an attention mask (the API has no padding input).</summary>
    public static IEnumerable<string> UnmaskedCaseNames(string fixture) => Cases(fixture).Where(c => !c.Masked).Select(c => c.Name);

    static IReadOnlyList<ReferenceCase> Load(string fixture)
    {
        using var stream = File.OpenRead(Path.Combine(Checkpoints.Fixture(fixture), "fixture.json"));
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c =>
        {
            var greedy = c.GetProperty("greedy");
            var routing = c.GetProperty("routing").EnumerateArray()
                .Select(layer => (Indices(layer.GetProperty("attn")), Indices(layer.GetProperty("mlp"))))
                .ToList();
            return new ReferenceCase(c.GetProperty("name").GetString()!, Longs2(c.GetProperty("input_ids")),
                c.GetProperty("attention_mask").ValueKind != JsonValueKind.Null, Floats3(c.GetProperty("logits")),
                Longs2(greedy.GetProperty("new_ids")), Floats3(greedy.GetProperty("step_logits")), routing);
        }).ToList();
    }

    static int[][] Indices(JsonElement moe) =>
        moe.GetProperty("topk_indices").EnumerateArray().Select(t => t.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray();

    static long[][] Longs2(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    static float[][][] Floats3(JsonElement e) => e.EnumerateArray()
        .Select(b => b.EnumerateArray().Select(t => t.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray()).ToArray();
}
