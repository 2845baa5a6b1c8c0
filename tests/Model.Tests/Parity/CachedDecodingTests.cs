using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Model.Tests.Parity;

/// <summary>Greedy decoding with the KV cache against the reference, and cached steps against full forwards.</summary>
public sealed class CachedDecodingTests
{
    public static TheoryData<string, string> AllCases() => ReferenceParityTests.AllCases();

    [Theory]
    [MemberData(nameof(AllCases))]
    public void GreedyStepsMatchReference(string fixtureName, string caseName)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        var c = fixture.Cases.Single(x => x.Name == caseName);
        using var model = ReferenceParityTests.LoadModel(fixture);
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        using var cache = new KvCache(fixture.Config.Layers);

        // The reference loop: whole prompt once, then only the last token, with 1s appended to the mask.
        var mask = c.MaskTensor();
        var logits = model.forward(c.InputTensor(), mask, cache).Logits.select(1, -1);  // (B, V)
        var steps = new List<Tensor>();
        var chosen = new List<Tensor>();
        for (int step = 0; step < c.GreedyNewIds[0].Length; step++)
        {
            steps.Add(logits);
            var next = logits.argmax(-1);                                                 // (B,)
            chosen.Add(next);
            if (mask is not null) mask = cat([mask, ones(c.Batch, 1, dtype: mask.dtype)], 1);
            logits = model.forward(next.unsqueeze(1), mask, cache).Logits.select(1, -1);
        }

        Assert.Equal(c.GreedyNewIds, ReferenceParityTests.ToRows(stack(chosen, 1)));
        ReferenceParityTests.AssertClose(c.GreedyStepLogits.ToTensor(), stack(steps, 1), 1e-4, "greedy step logits");
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void GeneratorGreedyEqualsReferenceAndFullForward(string fixtureName, string caseName)
    {
        var fixture = ReferenceFixture.Load(fixtureName);
        var c = fixture.Cases.Single(x => x.Name == caseName);
        using var model = ReferenceParityTests.LoadModel(fixture);
        using var scope = NewDisposeScope();
        int newTokens = c.GreedyNewIds[0].Length;

        var results = TextGenerator.Generate(model, c.InputTensor(), c.MaskTensor(), new GenerationOptions(newTokens), [SamplingOptions.Greedy]);
        Assert.Equal(c.GreedyNewIds, results.Select(r => r.TokenIds).ToArray());

        // Without a cache: one full forward over prompt + generated tokens gives the same next-token choices
        // and logits that agree with the cached steps.
        using var _ = inference_mode();
        var full = cat([c.InputTensor(), tensor(results.SelectMany(r => r.TokenIds).ToArray(), [c.Batch, newTokens])], 1);
        var fullMask = c.MaskTensor() is Tensor m ? cat([m, ones(c.Batch, newTokens, dtype: m.dtype)], 1) : null;
        var fullLogits = model.forward(full, fullMask).Logits;                            // (B, T + N, V)
        var predicted = fullLogits.narrow(1, c.Time - 1, newTokens).argmax(-1);
        Assert.Equal(c.GreedyNewIds, ReferenceParityTests.ToRows(predicted));
        ReferenceParityTests.AssertClose(c.GreedyStepLogits.ToTensor(), fullLogits.narrow(1, c.Time - 1, newTokens), 1e-4, "full-forward logits at generated positions");
    }
}
