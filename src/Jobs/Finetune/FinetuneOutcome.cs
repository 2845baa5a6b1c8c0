using System.Globalization;
using ModuleService.Model.Training;

namespace ModuleService.Jobs.Finetune;

/// <summary>Validation perplexity and expert usage before and after a finetune, for the result, the assembly and the report.</summary>
public sealed record FinetuneOutcome(string Dataset, EvaluationResult Before, EvaluationResult After, double LoadConcentrationWeight)
{
    /// <summary>The JSON stored on the new assembly and in the job's result.</summary>
    public object Evaluation() => new
    {
        dataset = Dataset, loadConcentrationWeight = LoadConcentrationWeight, tokens = After.Tokens,
        perplexityBefore = Before.Perplexity, perplexityAfter = After.Perplexity,
        bitsPerByteBefore = Before.BitsPerByte, bitsPerByteAfter = After.BitsPerByte,
        meanMlpEntropyBefore = UsageSummary.MeanMlpEntropy(Before.Usage), meanMlpEntropyAfter = UsageSummary.MeanMlpEntropy(After.Usage),
        meanAttentionEntropyBefore = UsageSummary.MeanAttentionEntropy(Before.Usage),
        meanAttentionEntropyAfter = UsageSummary.MeanAttentionEntropy(After.Usage),
        usageBefore = UsageSummary.PerLayer(Before.Usage), usageAfter = UsageSummary.PerLayer(After.Usage),
    };

    public void WriteTo(JobReport report)
    {
        report.Line($"Validation on **{Dataset}** ({After.Tokens} tokens): perplexity {Before.Perplexity:F3} → {After.Perplexity:F3} " +
                    $"({(After.Perplexity / Before.Perplexity - 1) * 100:+0.00;-0.00}%).");
        var rows = UsageSummary.PerLayer(Before.Usage).Zip(UsageSummary.PerLayer(After.Usage), (b, a) => string.Create(CultureInfo.InvariantCulture,
            $"| {a.Layer} | {b.MlpEntropy:F3} → {a.MlpEntropy:F3} | {b.MlpEffectiveExperts:F2} → {a.MlpEffectiveExperts:F2} | " +
            $"{b.AttentionEntropy:F3} → {a.AttentionEntropy:F3} | {b.AttentionEffectiveExperts:F2} → {a.AttentionEffectiveExperts:F2} |"));
        report.Line("Expert usage per layer (entropy in nats; effective experts = exp(entropy)):\n\n" +
                    "| layer | MLP entropy | MLP effective experts | attention entropy | attention effective experts |\n" +
                    "|---|---|---|---|---|\n" + string.Join("\n", rows));
        report.UsageHeatmap("usage-before.png", $"MLP expert usage on {Dataset} before finetuning", Before.Usage);
        report.UsageHeatmap("usage-after.png", $"MLP expert usage on {Dataset} after finetuning", After.Usage);
    }
}
