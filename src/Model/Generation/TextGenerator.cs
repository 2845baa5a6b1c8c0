using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Model.Generation;

/// <summary>
/// Batched autoregressive generation with the KV cache: one forward over the (left-padded) prompts, then one
/// token per step per row. Rows that finish leave the batch, so the remaining rows run no wasted compute.
/// </summary>
public static class TextGenerator
{
    /// <param name="prompts">token ids per row (rows may differ in length: they are left-padded).</param>
    /// <param name="sampling">one options record for every row, or one per row.</param>
    /// <param name="onToken">called for every new token; return false to end that row (finish reason stop).</param>
    public static IReadOnlyList<GenerationResult> Generate(ModuleFormerForCausalLM model, IReadOnlyList<long[]> prompts,
        GenerationOptions options, IReadOnlyList<SamplingOptions> sampling, ExpertMask? expertMask = null,
        Func<GeneratedToken, bool>? onToken = null, CancellationToken cancellation = default)
    {
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("a prompt is empty");
        using var scope = NewDisposeScope();
        var (inputIds, attentionMask) = LeftPad(prompts);
        return Generate(model, inputIds, attentionMask, options, sampling, expertMask, onToken, cancellation);
    }

    /// <param name="inputIds">(B, T) prompts, already padded.</param>
    /// <param name="attentionMask">null or (B, T), 1 = keep, 0 = padding (anywhere, not only on the left).</param>
    public static IReadOnlyList<GenerationResult> Generate(ModuleFormerForCausalLM model, Tensor inputIds, Tensor? attentionMask,
        GenerationOptions options, IReadOnlyList<SamplingOptions> sampling, ExpertMask? expertMask = null,
        Func<GeneratedToken, bool>? onToken = null, CancellationToken cancellation = default)
    {
        options.Validate();
        int batch = (int)inputIds.shape[0];
        if (sampling.Count == 1 && batch > 1) sampling = Enumerable.Repeat(sampling[0], batch).ToList();
        if (sampling.Count != batch) throw new ArgumentException($"{sampling.Count} sampling options for {batch} rows");
        foreach (var s in sampling) s.Validate();

        using var scope = NewDisposeScope();
        using var _ = inference_mode();
        using var cache = new KvCache(model.Config.Layers);
        using var sampler = new TokenSampler(sampling);
        var rows = Enumerable.Range(0, batch).Select(i => new RowState(i, options, onToken)).ToArray();
        var active = rows.ToList();

        var logits = Step(model, inputIds, attentionMask, cache, expertMask);   // (B, V)
        for (int step = 0; step < options.MaxNewTokens && active.Count > 0; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (chosen, chosenLogProbs, alternatives) = Pick(logits, sampler, active.Select(r => r.Index).ToList(), options.TopLogprobs);
            logits.Dispose();
            for (int i = 0; i < active.Count; i++)
            {
                var token = new GeneratedToken(active[i].Index, step, chosen[i], chosenLogProbs[i], alternatives?[i]);
                active[i].Accept(token);
            }

            var stillActive = Enumerable.Range(0, active.Count).Where(i => !active[i].Finished).ToArray();
            if (stillActive.Length == 0 || step == options.MaxNewTokens - 1) break;
            var next = stillActive.Select(i => chosen[i]).ToArray();
            if (stillActive.Length < active.Count)
            {
                var keep = tensor(stillActive.Select(i => (long)i).ToArray());
                cache.SelectRows(keep);
                attentionMask = attentionMask?.index_select(0, keep);
                expertMask = expertMask?.SelectRows(keep);
                active = stillActive.Select(i => active[i]).ToList();
            }
            attentionMask = attentionMask is null ? null : cat([attentionMask, ones(active.Count, 1, dtype: attentionMask.dtype)], 1);
            logits = Step(model, tensor(next).unsqueeze(1), attentionMask, cache, expertMask);   // (R', V) from (R', 1)
        }
        return rows.Select(r => r.Result()).ToList();
    }

    /// <summary>One forward in its own dispose scope: only the (B, V) logits outlive it, not the step's activations.</summary>
    private static Tensor Step(ModuleFormerForCausalLM model, Tensor inputIds, Tensor? attentionMask, KvCache cache, ExpertMask? expertMask)
    {
        using var scope = NewDisposeScope();
        return model.NextTokenLogits(inputIds, attentionMask, cache, expertMask).MoveToOuterDisposeScope();
    }

    /// <summary>Chooses each active row's token; returns host values only, so the step's tensors are freed here.</summary>
    private static (long[] Chosen, float[] LogProbs, List<(long, float)>[]? Alternatives) Pick(Tensor logits, TokenSampler sampler,
        IReadOnlyList<int> rows, int topLogprobs)
    {
        using var scope = NewDisposeScope();
        var logProbs = logits.log_softmax(-1);                                   // (R, V)
        var chosen = sampler.Choose(logits, rows);
        var chosenLogProbs = logProbs.gather(1, tensor(chosen).unsqueeze(1)).squeeze(1).data<float>().ToArray();
        return (chosen, chosenLogProbs, topLogprobs > 0 ? TopAlternatives(logProbs, topLogprobs) : null);
    }

    /// <summary>Left-pads prompts to one length. The mask is null when no row needed padding, as in the reference.</summary>
    public static (Tensor InputIds, Tensor? AttentionMask) LeftPad(IReadOnlyList<long[]> prompts, long padId = 0)
    {
        int length = prompts.Max(p => p.Length);
        var ids = new long[prompts.Count * length];
        var mask = new long[prompts.Count * length];
        for (int r = 0; r < prompts.Count; r++)
        {
            int offset = length - prompts[r].Length;
            Array.Fill(ids, padId, r * length, offset);
            prompts[r].CopyTo(ids, r * length + offset);
            Array.Fill(mask, 1L, r * length + offset, prompts[r].Length);
        }
        var inputIds = tensor(ids, [prompts.Count, length]);
        bool padded = prompts.Any(p => p.Length != length);
        return (inputIds, padded ? tensor(mask, [prompts.Count, length]) : null);
    }

    private static List<(long, float)>[] TopAlternatives(Tensor logProbs, int n)
    {
        var (values, indices) = logProbs.topk(Math.Min(n, (int)logProbs.shape[1]), dim: -1);
        var v = values.data<float>().ToArray();
        var ix = indices.data<long>().ToArray();
        int width = (int)values.shape[1];
        return Enumerable.Range(0, (int)values.shape[0])
            .Select(r => Enumerable.Range(0, width).Select(j => (ix[r * width + j], v[r * width + j])).ToList())
            .ToArray();
    }

    /// <summary>
    /// One row's tokens so far and its stop conditions. Tokens that might begin a stop sequence are held back
    /// from the callback until they are known not to, so a stream never shows text that is later removed.
    /// </summary>
    private sealed class RowState(int index, GenerationOptions options, Func<GeneratedToken, bool>? onToken)
    {
        private readonly List<GeneratedToken> tokens = [];
        private int emitted;
        private FinishReason reason = FinishReason.Length;

        public int Index { get; } = index;
        public bool Finished { get; private set; }

        public void Accept(GeneratedToken token)
        {
            if (token.TokenId == options.EosTokenId) { Finish(FinishReason.Stop); return; }
            tokens.Add(token);
            if (options.StopSequences?.FirstOrDefault(s => MatchesAt(s, tokens.Count - s.Length, s.Length)) is long[] stop)
            {
                tokens.RemoveRange(tokens.Count - stop.Length, stop.Length);
                Finish(FinishReason.Stop);
                return;
            }
            if (!Emit(tokens.Count - PendingStopPrefix())) Finish(FinishReason.Stop);
        }

        public GenerationResult Result()
        {
            Emit(tokens.Count);
            return new(tokens, reason);
        }

        private void Finish(FinishReason why)
        {
            (Finished, reason) = (true, why);
            Emit(tokens.Count);
        }

        /// <summary>Reports tokens up to <paramref name="upTo"/>; false if the caller asked to stop.</summary>
        private bool Emit(int upTo)
        {
            bool goOn = true;
            for (; emitted < upTo; emitted++)
                if (onToken is not null && !onToken(tokens[emitted])) { goOn = false; emitted++; break; }
            if (!goOn) tokens.RemoveRange(emitted, tokens.Count - emitted);
            return goOn;
        }

        /// <summary>Length of the longest suffix of the output that is a proper prefix of a stop sequence.</summary>
        private int PendingStopPrefix()
        {
            int longest = 0;
            foreach (var stop in options.StopSequences ?? [])
                for (int length = Math.Min(stop.Length - 1, tokens.Count); length > longest; length--)
                    if (MatchesAt(stop, tokens.Count - length, length)) { longest = length; break; }
            return longest;
        }

        private bool MatchesAt(long[] sequence, int start, int length)
        {
            if (start < 0) return false;
            for (int i = 0; i < length; i++)
                if (tokens[start + i].TokenId != sequence[i]) return false;
            return true;
        }
    }
}
