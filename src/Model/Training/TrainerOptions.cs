namespace ModuleService.Model.Training;

/// <summary>
/// Settings of one training run. Defaults follow the spec and data-and-evaluation.md §4.1 where they are known
/// (AdamW β 0.9/0.95, decay 0.1 without norms and biases, clip 1.0, MI coefficient 0.01, 8 × 256 tokens a step).
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Peak learning rate (MoLM pretraining used 3e-4).</summary>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Cosine decay ends at this fraction of the peak.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>
    /// 0 (default): cosine decay after warm-up. Otherwise the rate stays at the peak and falls linearly to
    /// <see cref="MinLearningRateRatio"/> of it over this last fraction of the steps (data-and-evaluation §4.1:
    /// constant, 20 % cool-down), which lets runs of different lengths share the same schedule up to their cool-down.
    /// </summary>
    public double CooldownFraction { get; init; }

    /// <summary>Linear warm-up from 0 to the peak over this many steps.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW's decoupled weight decay λ, on matrices only.</summary>
    public double WeightDecay { get; init; } = 0.1;

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Global gradient-norm clip; 0 or less disables clipping.</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>B, windows per step.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>T, tokens per window.</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>Optimizer steps of the whole run (also the length of the LR schedule).</summary>
    public long Steps { get; init; } = 1000;

    /// <summary>Fixes the data order and, when the config uses dropout or sampled top-k, the dropout masks.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Coefficient of the config's router loss (<c>mi</c> for MoLM), summed over layers and both MoEs.</summary>
    public double AuxLossWeight { get; init; } = 0.01;

    /// <summary>Coefficient λ_c of the load-concentration loss (spec §6.4), summed over layers and both MoEs.</summary>
    public double LoadConcentrationWeight { get; init; }

    /// <summary>
    /// Keep only each block's input during the forward and recompute the block during the backward: activation memory
    /// of one block instead of all of them, for about one more forward per step.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>Evaluate on the validation tokens every this many steps (and after the last); 0 disables.</summary>
    public int EvalEvery { get; init; }

    /// <summary>Cap on predicted validation tokens per evaluation.</summary>
    public long EvalTokens { get; init; } = 65_536;

    /// <summary>Report metrics every this many steps (and after the last).</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{name} {rule}, got {value}", name);
        }
        Require(LearningRate > 0, nameof(LearningRate), LearningRate, "must be positive");
        Require(MinLearningRateRatio is >= 0 and <= 1, nameof(MinLearningRateRatio), MinLearningRateRatio, "must be in [0, 1]");
        Require(CooldownFraction is >= 0 and <= 1, nameof(CooldownFraction), CooldownFraction, "must be in [0, 1]");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, "must not be negative");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must not be negative");
        Require(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "must be in [0, 1)");
        Require(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "must be in [0, 1)");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(SequenceLength >= 1, nameof(SequenceLength), SequenceLength, "must be at least 1");
        Require(Steps >= 1, nameof(Steps), Steps, "must be at least 1");
        Require(AuxLossWeight >= 0, nameof(AuxLossWeight), AuxLossWeight, "must not be negative");
        Require(LoadConcentrationWeight >= 0, nameof(LoadConcentrationWeight), LoadConcentrationWeight, "must not be negative");
        Require(EvalEvery >= 0, nameof(EvalEvery), EvalEvery, "must not be negative");
        Require(EvalTokens >= 1, nameof(EvalTokens), EvalTokens, "must be at least 1");
        Require(LogEvery >= 1, nameof(LogEvery), LogEvery, "must be at least 1");
    }
}
