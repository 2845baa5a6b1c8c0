using ModuleService.Model.Architecture;
using ModuleService.Model.Training;

namespace ModuleService.Cli;

/// <summary>
/// Times the product's training step (<see cref="Trainer.Step"/>: forward, LM + router losses, backward, clipping,
/// AdamW) on B×T windows of a random token stream, every parameter trainable.
/// </summary>
internal static class BenchTraining
{
    public static double StepMs(ModuleFormerForCausalLM model, int batch, int time, int runs, long seed, bool gradientCheckpointing, string label, TextWriter log)
    {
        var random = new Random((int)seed);
        var tokens = Enumerable.Range(0, 16 * batch * (time + 1)).Select(_ => random.Next(model.Config.VocabSize)).ToArray();
        // A constant, small rate: the bench times steps, it does not want to move far from the initial routing.
        var options = new TrainerOptions
        {
            BatchSize = batch, SequenceLength = time, Steps = runs + 1, WarmupSteps = 0, LearningRate = 1e-5,
            MinLearningRateRatio = 1, Seed = seed, LogEvery = int.MaxValue, GradientCheckpointing = gradientCheckpointing,
        };
        using var trainer = new Trainer(model, tokens, options);
        return BenchTiming.Median(runs, label, log, () => trainer.Step());
    }
}
