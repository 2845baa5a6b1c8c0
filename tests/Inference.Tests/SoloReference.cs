using ModuleService.Inference.Batching;
using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using Xunit;
using static TorchSharp.torch;

namespace ModuleService.Inference.Tests;

/// <summary>What a job gives when run alone through the model library's reference loop.</summary>
internal static class SoloReference
{
    public static GenerationResult Generate(ModuleFormerForCausalLM model, CompletionJob job)
    {
        using var scope = NewDisposeScope();
        var options = new GenerationOptions(job.MaxNewTokens, job.EosTokenId, job.StopSequences, job.TopLogprobs);
        Func<GeneratedToken, bool>? onToken = job.StopAfterToken is { } stop ? t => !stop(t.TokenId) : null;
        return TextGenerator.Generate(model, [job.PromptTokens], options, [job.Sampling], ToExpertMask(model, job), onToken)[0];
    }

    /// <summary>The request's per-layer flags as the whole-batch (E,) masks a solo run uses.</summary>
    public static ExpertMask? ToExpertMask(ModuleFormerForCausalLM model, CompletionJob job)
    {
        if (job.ExpertMask is not { } layers) return null;
        var mask = new ExpertMask(model.Config.Layers);
        for (int layer = 0; layer < layers.Count; layer++)
        {
            if (layers[layer].Attention is { } a) mask[layer].Attention = tensor(a);
            if (layers[layer].Mlp is { } m) mask[layer].Mlp = tensor(m);
        }
        return mask;
    }

    /// <summary>log-softmax of a full forward over the prompt: row t − 1 scores token t.</summary>
    public static float[][] PromptLogSoftmax(ModuleFormerForCausalLM model, long[] prompt)
    {
        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        var logProbs = model.forward(tensor(prompt).unsqueeze(0)).Logits[0].log_softmax(-1);   // (T, V)
        return Enumerable.Range(0, prompt.Length).Select(t => logProbs[t].data<float>().ToArray()).ToArray();
    }

    public static void AssertSame(GenerationResult expected, CompletionResult actual, string label)
    {
        Assert.True(expected.TokenIds.SequenceEqual(actual.TokenIds),
            $"{label}: tokens differ\n solo:    [{string.Join(", ", expected.TokenIds)}]\n batched: [{string.Join(", ", actual.TokenIds)}]");
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        for (int i = 0; i < expected.Tokens.Count; i++)
        {
            var (e, a) = (expected.Tokens[i], actual.Tokens[i]);
            Assert.True(Math.Abs(e.Logprob - a.Logprob) < 1e-4, $"{label} token {i}: logprob {a.Logprob} vs solo {e.Logprob}");
            Assert.Equal(e.TopLogprobs?.Count, a.TopLogprobs?.Count);
            for (int j = 0; j < (e.TopLogprobs?.Count ?? 0); j++)
                Assert.True(Math.Abs(e.TopLogprobs![j].Logprob - a.TopLogprobs![j].Logprob) < 1e-4, $"{label} token {i} alternative {j}");
        }
    }
}
