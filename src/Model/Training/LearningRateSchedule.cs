namespace ModuleService.Model.Training;

/// <summary>
/// Linear warm-up to the peak, then cosine decay to <see cref="TrainerOptions.MinLearningRateRatio"/> of it, or, with a
/// <see cref="TrainerOptions.CooldownFraction"/>, the peak until a linear cool-down to that floor.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate of 0-based step <paramref name="step"/>.</summary>
    public static double At(long step, TrainerOptions options)
    {
        double peak = options.LearningRate;
        // (step + 1) so the first step already moves the weights instead of spending a step at lr = 0.
        if (step < options.WarmupSteps) return peak * (step + 1) / options.WarmupSteps;
        double floor = peak * options.MinLearningRateRatio;
        if (options.CooldownFraction > 0)
        {
            long cooldownSteps = Math.Max(1, (long)Math.Round(options.Steps * options.CooldownFraction));
            long cooldownStart = options.Steps - cooldownSteps;
            if (step < cooldownStart) return peak;
            // (step + 1) again, so the last step runs at the floor rather than one notch above it.
            return peak + (floor - peak) * Math.Min(1.0, (double)(step - cooldownStart + 1) / cooldownSteps);
        }
        long decaySteps = Math.Max(1, options.Steps - options.WarmupSteps);
        double progress = Math.Clamp((double)(step - options.WarmupSteps) / decaySteps, 0, 1);
        return floor + (peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
