using ModuleService.Model.Generation;
using static TorchSharp.torch;

namespace ModuleService.Inference.Batching;

/// <summary>Chooses each row's next token from last-position logits, the way <c>TextGenerator</c> does.</summary>
internal static class TokenPicker
{
    /// <param name="logits">(R, V) float32, row i belonging to <paramref name="rows"/>[i].</param>
    public static GeneratedToken[] Pick(Tensor logits, IReadOnlyList<Request> rows)
    {
        var logProbs = logits.log_softmax(-1);                                   // (R, V)
        // One argmax for the whole batch; sampled rows then draw from their own seeded generator, on their own
        // row only, so the random stream a row consumes does not depend on its batch mates.
        var chosen = logits.argmax(-1).data<long>().ToArray();
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].Sampler is { } sampler) chosen[i] = sampler.Choose(logits.narrow(0, i, 1), [0])[0];

        var chosenLogProbs = logProbs.gather(1, tensor(chosen).unsqueeze(1)).squeeze(1).data<float>().ToArray();
        int topN = rows.Max(r => r.Job.TopLogprobs);
        var alternatives = topN > 0 ? TopAlternatives(logProbs, topN) : null;
        var tokens = new GeneratedToken[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            int n = rows[i].Job.TopLogprobs;
            var top = n > 0 ? alternatives![i].Take(n).ToList() : null;
            tokens[i] = new GeneratedToken(0, rows[i].Sampled, chosen[i], chosenLogProbs[i], top);
        }
        return tokens;
    }

    /// <param name="logProbs">(R, V)</param>
    /// <returns>per row, the <paramref name="n"/> most likely (token, logprob) pairs, best first.</returns>
    public static List<(long TokenId, float Logprob)>[] TopAlternatives(Tensor logProbs, int n)
    {
        var (values, indices) = logProbs.topk(Math.Min(n, (int)logProbs.shape[1]), dim: -1);  // (R, n)
        var v = values.data<float>().ToArray();
        var ix = indices.data<long>().ToArray();
        int width = (int)values.shape[1];
        return Enumerable.Range(0, (int)values.shape[0])
            .Select(r => Enumerable.Range(0, width).Select(j => (ix[r * width + j], v[r * width + j])).ToList())
            .ToArray();
    }
}
