using System.Globalization;
using System.Text.Json.Nodes;
using ModuleService.Api.Tests.Support;
using Xunit;

namespace ModuleService.Api.Tests.Inference;

/// <summary>
/// Issue acceptance: <c>echo</c> + <c>logprobs</c> through the API on an imported reference checkpoint reproduce the
/// fixture's log-probabilities within 1e-4, and greedy (<c>temperature: 0</c>) completions reproduce its greedy
/// tokens. Every unmasked case of both fixtures; each batch row is a prompt of its own (b2 cases send both rows in
/// one request, as an array of token-id arrays, so they also run batched).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ReferenceParityTests(InferenceFixture api) : IClassFixture<InferenceFixture>
{
    const double Tolerance = 1e-4;
    const int GreedyTokens = 16;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in new[] { Checkpoints.Tiny, Checkpoints.MolmLike })
            foreach (var name in ReferenceFixture.UnmaskedCaseNames(fixture))
                data.Add(fixture, name);
        return data;
    }

    static string ModelOf(string fixture) => fixture == Checkpoints.Tiny ? InferenceFixture.TinyModel : InferenceFixture.MolmModel;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EchoLogprobs_AndGreedyTokens_ReproduceTheFixture(string fixture, string caseName)
    {
        var c = ReferenceFixture.Case(fixture, caseName);
        object prompt = c.Batch == 1 ? c.InputIds[0] : c.InputIds;

        var response = await api.Admin.CompleteAsync(new
        {
            model = ModelOf(fixture), prompt, echo = true, logprobs = 1, max_tokens = GreedyTokens, temperature = 0,
        });

        Assert.Equal(c.Batch, response["choices"]!.AsArray().Count);
        var errors = new List<string>();
        double worst = 0;
        void Compare(string what, double? got, double expected)
        {
            if (got is null) { errors.Add($"{what}: null, expected {expected:R}"); return; }
            double error = Math.Abs(got.Value - expected);
            worst = Math.Max(worst, error);
            if (!(error <= Tolerance)) errors.Add($"{what}: {got:R} vs {expected:R} (|Δ| {error:E2})");
        }

        for (int b = 0; b < c.Batch; b++)
        {
            var choice = response.Choice(b);
            int t = c.Length;
            var ids = OpenAiHttp.TokenIds(choice);
            var logprobs = OpenAiHttp.TokenLogprobs(choice);
            Assert.Equal(t + GreedyTokens, ids.Length);
            Assert.Equal(ids.Length, logprobs.Length);
            Assert.Equal(c.InputIds[b], ids[..t]);
            Assert.Equal(c.NewIds[b], ids[t..]);                                        // greedy tokens, exactly
            Assert.Equal(string.Concat(ids.Select(i => $"<{i}>")), (string)choice["text"]!);
            Assert.Equal("length", (string?)choice["finish_reason"]);

            Assert.Null(logprobs[0]);                                                   // the first token has no context
            for (int p = 1; p < t; p++)
                Compare($"row {b} prompt position {p}", logprobs[p], ReferenceCase.LogSoftmax(c.Logits[b][p - 1], ids[p]));
            for (int s = 0; s < GreedyTokens; s++)
                Compare($"row {b} greedy step {s}", logprobs[t + s], ReferenceCase.LogSoftmax(c.StepLogits[b][s], c.NewIds[b][s]));

            // Greedy: each generated token is its position's most likely one.
            var top = choice["logprobs"]!["top_logprobs"]!.AsArray();
            for (int s = 0; s < GreedyTokens; s++)
            {
                var best = top[t + s]!.AsObject().MaxBy(kv => (double)kv.Value!);
                Assert.Equal($"<{c.NewIds[b][s]}>", best.Key);
            }
        }
        Assert.True(errors.Count == 0, $"{errors.Count} log-probabilities off by more than {Tolerance}:\n{string.Join('\n', errors.Take(20))}");
        Assert.True(worst <= Tolerance, worst.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Prompt scoring: <c>max_tokens: 0</c> with echo runs the prompt only.</summary>
    [Fact]
    public async Task MaxTokensZeroWithEcho_ScoresThePromptOnly()
    {
        var c = ReferenceFixture.Case(Checkpoints.MolmLike, "b1_t33");

        var response = await api.Admin.CompleteAsync(new { model = InferenceFixture.MolmModel, prompt = c.InputIds[0], echo = true, logprobs = 0, max_tokens = 0 });

        var choice = response.Choice();
        Assert.Equal(c.InputIds[0], OpenAiHttp.TokenIds(choice));
        Assert.Equal(string.Concat(c.InputIds[0].Select(i => $"<{i}>")), (string)choice["text"]!);
        var logprobs = OpenAiHttp.TokenLogprobs(choice);
        Assert.Null(logprobs[0]);
        for (int p = 1; p < c.Length; p++)
            Assert.True(Math.Abs(logprobs[p]!.Value - ReferenceCase.LogSoftmax(c.Logits[0][p - 1], c.InputIds[0][p])) <= Tolerance, $"position {p}");
        Assert.Equal((c.Length, 0), ((int)response["usage"]!["prompt_tokens"]!, (int)response["usage"]!["completion_tokens"]!));
        Assert.Equal("length", (string?)choice["finish_reason"]);
        // logprobs 0: the chosen tokens' log-probabilities only, no alternatives.
        Assert.All(choice["logprobs"]!["top_logprobs"]!.AsArray(), top => Assert.Null(top));
    }
}
