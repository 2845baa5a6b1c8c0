namespace ModuleService.Model.Training;

/// <summary>What one optimizer step did.</summary>
/// <param name="Step">1-based number of the step just taken.</param>
/// <param name="LmLoss">mean next-token cross-entropy of the batch (nats).</param>
/// <param name="AuxLoss">the config's router loss summed over layers and both MoEs, before weighting.</param>
/// <param name="ConcentrationLoss">load-concentration loss summed likewise, before weighting.</param>
/// <param name="Tokens">tokens trained on so far, this step included.</param>
/// <param name="TokensPerSecond">this step's B·T divided by its wall-clock time.</param>
/// <param name="LearningRate">the rate this step used.</param>
/// <param name="GradNorm">global gradient norm before clipping.</param>
/// <param name="Evaluation">set on steps that were followed by an evaluation.</param>
public sealed record StepMetrics(long Step, double LmLoss, double AuxLoss, double ConcentrationLoss, long Tokens,
    double TokensPerSecond, double LearningRate, double GradNorm, EvaluationResult? Evaluation = null);
