using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Training;

namespace ModuleService.Model.Surgery;

/// <summary>Pruning by measured usage (spec §9.4): keep each layer's most-selected MLP experts, drop the rest.</summary>
public static class PruningPlan
{
    /// <summary>Per layer, the <paramref name="keep"/> most selected MLP experts in ascending index order.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> MostUsedMlpExperts(IReadOnlyList<LayerExpertUsage> usage, int keep) =>
        usage.Select(u => (IReadOnlyList<int>)u.Mlp.Ranking.Take(keep).Order().ToList()).ToList();

    /// <summary>A new model holding only the kept MLP experts and their router rows; <paramref name="model"/> is unchanged.</summary>
    public static ModuleFormerForCausalLM Apply(ModuleFormerForCausalLM model, IReadOnlyList<IReadOnlyList<int>> keepPerLayer)
    {
        // No dispose scope around the new model: it would take the model's parameters with it.
        var (config, stateDict) = ExpertSurgery.DropExperts(model.Config, model.state_dict(), ModuleKind.MlpExpert, keepPerLayer);
        try { return ModelCheckpoint.FromStateDict(config, stateDict); }
        finally { foreach (var t in stateDict.Values) t.Dispose(); }
    }
}
