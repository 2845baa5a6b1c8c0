using ModuleService.Model;
using ModuleService.Model.Architecture;

namespace ModuleService.Cli.Experiments;

/// <summary>Phase P (and P′): a model trained from scratch on the mixture M, evaluated on en, py and de along the way.</summary>
public static class PretrainPhase
{
    /// <returns>the run and the trained model (the caller disposes it).</returns>
    public static (RunRecord Run, ModuleFormerForCausalLM Model) Run(string name, ModuleFormerConfig config, long tokens,
        ProtocolData data, ProtocolBudget budget, ProtocolLog log, long seed = 1)
    {
        var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(seed);
        var options = TrainingSettings.Pretraining(budget, tokens, seed);
        log.Line($"{name}: pretraining on M (en-books + py-code), {options.Steps} steps of {budget.TokensPerStep} tokens");
        var run = new TrainingRun(name, "P", log).Train(model, data.Mixture, options, null, data.All, budget.PretrainEvalEvery, budget.CurveEvalTokens);
        return (run, model);
    }
}
