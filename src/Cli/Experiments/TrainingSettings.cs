using ModuleService.Model.Training;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// §4.1's training settings: AdamW β 0.9/0.95, decay 0.1 (not on norms and biases), 100 warm-up steps, constant
/// rate, linear cool-down to 0 over the last 20 %, clip 1.0, 8 × T tokens a step, MI coefficient 0.01.
/// </summary>
public static class TrainingSettings
{
    public const double PretrainLearningRate = 2e-3;
    public const double FinetuneLearningRate = 1e-3;

    public static TrainerOptions Pretraining(ProtocolBudget budget, long tokens, long seed) =>
        Common(budget, tokens, seed) with { LearningRate = PretrainLearningRate };

    /// <param name="loadConcentration">λ_c of the load-concentration loss (spec §6.4).</param>
    public static TrainerOptions Finetuning(ProtocolBudget budget, long tokens, long seed, double loadConcentration = 0) =>
        Common(budget, tokens, seed) with { LearningRate = FinetuneLearningRate, LoadConcentrationWeight = loadConcentration };

    static TrainerOptions Common(ProtocolBudget budget, long tokens, long seed)
    {
        long steps = budget.Steps(tokens);
        return new TrainerOptions
        {
            Steps = steps, BatchSize = budget.BatchSize, SequenceLength = budget.Models.SequenceLength, Seed = seed,
            WarmupSteps = (int)Math.Min(budget.WarmupSteps, steps / 4), CooldownFraction = 0.2, MinLearningRateRatio = 0,
            WeightDecay = 0.1, GradientClip = 1.0, AuxLossWeight = 0.01, LogEvery = int.MaxValue,
        };
    }
}
