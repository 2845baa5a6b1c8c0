using ModuleService.Model.Training;

namespace ModuleService.Jobs;

/// <summary>The hyperparameters every training job takes, with defaults sized for CPU runs of small models.</summary>
public static class TrainingParameters
{
    public static TrainerOptions Read(JobContext context, double defaultLearningRate, double loadConcentration = 0, double defaultAuxLossWeight = 0.01)
    {
        var steps = context.Parameter<long>("steps", 0);
        var batchSize = context.Parameter("batchSize", 8);
        var sequenceLength = context.Parameter("sequenceLength", 128);
        var tokens = context.Parameter<long>("tokens", 0);
        if (steps <= 0) steps = tokens > 0 ? Math.Max(1, tokens / (batchSize * sequenceLength)) : 100;
        return new TrainerOptions
        {
            Steps = steps, BatchSize = batchSize, SequenceLength = sequenceLength,
            LearningRate = context.Parameter("learningRate", defaultLearningRate),
            WarmupSteps = (int)Math.Min(context.Parameter("warmupSteps", 20), steps / 4),
            Seed = context.Parameter<long>("seed", 1),
            AuxLossWeight = context.Parameter("auxLossWeight", defaultAuxLossWeight),
            LoadConcentrationWeight = context.Parameter("loadConcentrationWeight", loadConcentration),
            EvalEvery = context.Parameter("evalEvery", (int)Math.Max(10, steps / 5)),
            EvalTokens = context.Parameter<long>("evalTokens", 16_384),
            LogEvery = context.Parameter("logEvery", (int)Math.Max(1, steps / 20)),
            GradientCheckpointing = context.Parameter("gradientCheckpointing", false),
        };
    }

    public static int CheckpointEvery(JobContext context, long steps) => context.Parameter("checkpointEvery", (int)Math.Max(10, steps / 5));
}
