using ModuleService.Cli;
using ModuleService.Model.Architecture;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;

namespace ModuleService.Cli.Experiments;

/// <summary>One point of a pruning curve: the model cut to <c>Kept</c> MLP experts per layer.</summary>
public sealed record PruneStep(int Kept, double PythonPerplexity, double EnglishPerplexity, double RemovedExpertFraction,
    double RemovedParameterFraction, IReadOnlyList<IReadOnlyList<int>> KeptPerLayer);

/// <summary>One λ_c arm of phase S: the finetuning run, usage on the Python training subset, the pruning curve.</summary>
public sealed record SpecialiseResult(double LoadConcentration, RunRecord Run, IReadOnlyList<LayerExpertUsage> TrainUsage, IReadOnlyList<PruneStep> Pruning)
{
    /// <summary>Mean over layers of the MLP routers' usage entropy on the subset (nats).</summary>
    public double MeanEntropy => TrainUsage.Average(u => u.Mlp.Entropy);
    public double MeanEffectiveExperts => TrainUsage.Average(u => u.Mlp.EffectiveExperts);
}

/// <summary>
/// Phase S: finetune the pretrained SMoE on py-code with load-concentration weight λ_c, rank each layer's experts by
/// their share of selections on a Python *training* subset, then cut the model to the top m experts per layer
/// (real surgery: the dropped experts and their router rows are gone) and measure Python and English perplexity.
/// </summary>
public static class SpecialisePhase
{
    public static SpecialiseResult Run(double loadConcentration, ModuleFormerForCausalLM pretrained, RunRecord pretraining,
        ProtocolData data, ProtocolBudget budget, ProtocolLog log, long seed = 1)
    {
        string name = $"SMoE-ft λc={loadConcentration:0.###}";
        using var model = ExtendPhase.Copy(pretrained);
        var options = TrainingSettings.Finetuning(budget, budget.SpecialiseTokens, seed, loadConcentration);
        log.Line($"{name}: finetuning on py-code");
        IReadOnlyList<DomainTokens> domains = [data.English, data.Python];
        var run = new TrainingRun(name, "S", log).Train(model, data.Python.Train, options, null, domains,
            budget.FinetuneEvalEvery, budget.CurveEvalTokens, pretraining.Curve[^1]);
        var usage = DomainEvaluation.Usage(model, data.Python.TrainPrefix(budget.UsageTokens), budget.Models.SequenceLength).Usage;
        var steps = budget.KeepCounts.Select(keep => Prune(model, usage, keep, data, budget)).ToList();
        log.Line($"{name}: pruning curve (kept → PPL py) {string.Join(", ", steps.Select(s => $"{s.Kept} → {s.PythonPerplexity:F2}"))}");
        return new SpecialiseResult(loadConcentration, run, usage, steps);
    }

    static PruneStep Prune(ModuleFormerForCausalLM model, IReadOnlyList<LayerExpertUsage> usage, int keep, ProtocolData data, ProtocolBudget budget)
    {
        var plan = PruningPlan.MostUsedMlpExperts(usage, keep);
        using var pruned = PruningPlan.Apply(model, plan);
        int t = budget.Models.SequenceLength;
        double python = DomainEvaluation.Score(pruned, data.Python, t).Perplexity;
        double english = DomainEvaluation.Score(pruned, data.English, t).Perplexity;
        double removedParameters = 1 - (double)ParameterCounts.For(pruned.Config).Total / ParameterCounts.For(model.Config).Total;
        return new PruneStep(keep, python, english, 1 - (double)keep / model.Config.MlpExperts, removedParameters, plan);
    }
}
