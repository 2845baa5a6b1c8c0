using System.Diagnostics;
using ModuleService.Model.Architecture;
using static TorchSharp.torch;

namespace ModuleService.Model.Training;

/// <summary>Perplexity, bits per byte and expert usage of a model on a token sequence (data-and-evaluation §4.2).</summary>
public static class Evaluator
{
    /// <summary>
    /// Runs the model over <see cref="EvaluationWindows"/> of <paramref name="tokens"/> in eval mode without
    /// gradients (the model's train/eval mode is restored afterwards). Cancellation is checked between batches.
    /// </summary>
    /// <param name="sequenceLength">T, predicted tokens per window (context restarts at each window).</param>
    /// <param name="batchSize">windows per forward.</param>
    /// <param name="maxTokens">cap on predicted tokens; null evaluates the whole sequence.</param>
    /// <param name="utf8Bytes">UTF-8 bytes of <c>tokens[0 .. EvaluationWindows.CoveredTokens)</c>, for bits per byte.</param>
    /// <param name="expertMask">evaluate as if pruned to these experts; null uses all.</param>
    public static EvaluationResult Evaluate(ModuleFormerForCausalLM model, IReadOnlyList<int> tokens, int sequenceLength,
        int batchSize = 8, long? maxTokens = null, long? utf8Bytes = null, ExpertMask? expertMask = null,
        CancellationToken cancellationToken = default)
    {
        if (EvaluationWindows.PredictedTokens(tokens.Count, maxTokens) == 0)
            throw new ArgumentException($"evaluation needs at least 2 tokens and a positive cap; got {tokens.Count} tokens, cap {maxTokens}", nameof(tokens));
        var config = model.Config;
        var attention = Enumerable.Range(0, config.Layers).Select(_ => new ExpertUsageAccumulator(config.AttentionExperts)).ToArray();
        var mlp = Enumerable.Range(0, config.Layers).Select(_ => new ExpertUsageAccumulator(config.MlpExperts)).ToArray();
        var device = model.LmHead.weight!.device;
        bool wasTraining = model.training;
        model.eval();
        var clock = Stopwatch.StartNew();
        double totalNll = 0;
        long predicted = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in EvaluationWindows.Batches(tokens, batchSize, sequenceLength, maxTokens))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var _ = batch;
                var output = model.forward(batch.Inputs.to(device), expertMask: expertMask);
                var logits = output.Logits;                                       // (B, T, V)
                var nll = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), batch.Labels.to(device).reshape(-1),
                    reduction: nn.Reduction.Sum);                                 // sum over B·T predictions
                totalNll += nll.item<float>();
                predicted += batch.Tokens;
                for (int layer = 0; layer < config.Layers; layer++)
                {
                    attention[layer].Add(output.Routing[layer].Attention);
                    mlp[layer].Add(output.Routing[layer].Mlp);
                }
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        var usage = Enumerable.Range(0, config.Layers)
            .Select(layer => new LayerExpertUsage(layer, attention[layer].Result(), mlp[layer].Result())).ToList();
        return new EvaluationResult(predicted, totalNll, utf8Bytes, usage, predicted / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }
}
