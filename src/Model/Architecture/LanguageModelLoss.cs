using static TorchSharp.torch;

namespace ModuleService.Model.Architecture;

/// <summary>The causal LM loss: next-token cross-entropy, mean over labels that are not ignored.</summary>
public static class LanguageModelLoss
{
    public const long IgnoreIndex = -100;

    /// <param name="logits">(B, T, V)</param>
    /// <param name="labels">(B, T); position t predicts labels[t + 1]; −100 is ignored.</param>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels)
    {
        long time = logits.shape[1], vocab = logits.shape[2];
        var predictions = logits.narrow(1, 0, time - 1).reshape(-1, vocab);     // (B·(T−1), V)
        var targets = labels.narrow(1, 1, time - 1).reshape(-1);                 // (B·(T−1),)
        return nn.functional.cross_entropy(predictions, targets, ignore_index: IgnoreIndex);
    }
}
