using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;
using static TorchSharp.torch;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// Phase E: German is added to a model pretrained on en + py. The SMoE gets new MLP experts (and router rows) in
/// every layer and trains only those, every old module frozen; the dense models are finetuned whole, as the
/// forgetting reference. Curves start at the pretrained model's end point.
/// </summary>
public static class ExtendPhase
{
    public static (RunRecord Run, ModuleFormerForCausalLM Model, FrozenCheck Check) ExtendSparse(string name, ModuleFormerForCausalLM pretrained,
        RunRecord pretraining, ProtocolData data, ProtocolBudget budget, ProtocolLog log, long seed = 1)
    {
        var config = pretrained.Config;
        var before = FrozenCheck.Snapshot(pretrained.state_dict());
        // The model is built outside any dispose scope, which would otherwise take its parameters along.
        var (grownConfig, grown) = ExpertSurgery.AppendExperts(config, before, ModuleKind.MlpExpert, budget.NewExperts, new Generator((ulong)seed + 100));
        var model = ModelCheckpoint.FromStateDict(grownConfig, grown);
        foreach (var t in grown.Values) t.Dispose();
        var afterSurgery = FrozenCheck.Snapshot(model.state_dict());
        var options = TrainingSettings.Finetuning(budget, budget.ExtendTokens, seed);
        var selection = TrainableSelection.NewExperts(null, config.MlpExperts);
        log.Line($"{name}: +{budget.NewExperts} MLP experts per layer ({config.MlpExperts} → {model.Config.MlpExperts}), training {selection} on de-man");
        var run = new TrainingRun(name, "E", log).Train(model, data.German.Train, options, selection, data.All,
            budget.FinetuneEvalEvery, budget.CurveEvalTokens, pretraining.Curve[^1]);
        FrozenCheck check;
        using (var scope = NewDisposeScope()) check = FrozenCheck.Compare(before, afterSurgery, model.state_dict());
        foreach (var t in before.Values.Concat(afterSurgery.Values)) t.Dispose();
        log.Line($"{name}: {check.Tensors} old tensors ({check.Elements:N0} values) {(check.Identical ? "bit-identical" : "CHANGED: " + string.Join(", ", check.Changed))}; {check.GrownTensorsThatTrained}/{check.GrownTensors} grown tensors trained their new rows");
        return (run, model, check);
    }

    /// <summary>The dense reference: the same data and schedule, every parameter trains.</summary>
    public static (RunRecord Run, ModuleFormerForCausalLM Model) FinetuneDense(string name, ModuleFormerForCausalLM pretrained,
        RunRecord pretraining, ProtocolData data, ProtocolBudget budget, ProtocolLog log, long seed = 1)
    {
        var model = Copy(pretrained);
        var options = TrainingSettings.Finetuning(budget, budget.ExtendTokens, seed);
        log.Line($"{name}: finetuning every parameter on de-man");
        var run = new TrainingRun(name, "E", log).Train(model, data.German.Train, options, null, data.All,
            budget.FinetuneEvalEvery, budget.CurveEvalTokens, pretraining.Curve[^1]);
        return (run, model);
    }

    /// <summary>An independent copy, so the pretrained model stays as it is for the other phases.</summary>
    public static ModuleFormerForCausalLM Copy(ModuleFormerForCausalLM model) => ModelCheckpoint.FromStateDict(model.Config, model.state_dict());
}
