using ModuleService.Inference.Telemetry;
using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>Runs newly admitted prompts through the model together (left-padded) into a cache of their own.</summary>
internal static class Prefill
{
    /// <returns>the group's cache (rows in <paramref name="group"/> order) and (R, V) last-position logits, which
    /// belong to the caller's dispose scope.</returns>
    public static (BatchKvCache Cache, Tensor LastLogits) Run(ModuleFormerForCausalLM model, IReadOnlyList<Request> group,
        string modelKey, ExpertUsage? usage)
    {
        var prompts = group.Select(r => r.Prompt).ToList();
        var (inputIds, mask) = TextGenerator.LeftPad(prompts);                    // (R, T), null or (R, T)
        long time = inputIds.shape[1];
        var cache = new BatchKvCache(new KvCache(model.Config.Layers), model.Config.Layers, prompts.Select(p => time - (long)p.Length));
        try
        {
            using var masks = RowExpertMasks.Build(model.Config, group);
            var (hidden, routing) = ModelCalls.Body(model, inputIds, mask, cache.Cache, masks.Mask);   // (R, T, D)
            usage?.Record(modelKey, RoutingTally.From(routing, mask?.flatten().to(ScalarType.Bool)));
            for (int i = 0; i < group.Count; i++)
                if (group[i].Job.Echo)
                    group[i].EmitPrompt(PromptLogprobs(model, hidden[i], group[i].Prompt, group[i].Job.TopLogprobs));
            return (cache, model.Logits(hidden.select(1, -1)));          // (R, V)
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>Rows of prompt logits materialised at once: (256, V) fp32 is 51 MB for MoLM's vocabulary,
    /// where a whole 2k-token prompt would be 400 MB.</summary>
    private const int EchoChunk = 256;

    /// <summary>Token t ≥ 1 gets log-softmax of position t − 1's logits at its id; the first token has no context.</summary>
    /// <param name="hidden">(T, D) one row of the padded batch; the prompt occupies the last prompt.Length positions.</param>
    private static List<PromptTokenLogprob> PromptLogprobs(ModuleFormerForCausalLM model, Tensor hidden, long[] prompt, int topN)
    {
        var result = new List<PromptTokenLogprob> { new(prompt[0], null, null) };
        long start = hidden.shape[0] - prompt.Length;
        for (int from = 1; from < prompt.Length; from += EchoChunk)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(EchoChunk, prompt.Length - from);
            // Positions from − 1 … from + count − 2 predict tokens from … from + count − 1.
            var logProbs = model.Logits(hidden.narrow(0, start + from - 1, count)).log_softmax(-1);  // (count, V)
            var targets = tensor(prompt[from..(from + count)]).unsqueeze(1);                                     // (count, 1)
            var chosen = logProbs.gather(1, targets).squeeze(1).data<float>().ToArray();
            var alternatives = topN > 0 ? TokenPicker.TopAlternatives(logProbs, topN) : null;
            for (int i = 0; i < count; i++)
                result.Add(new PromptTokenLogprob(prompt[from + i], chosen[i], alternatives?[i]));
        }
        return result;
    }
}
