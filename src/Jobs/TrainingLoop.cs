using ModuleService.Model.Training;

namespace ModuleService.Jobs;

/// <summary>
/// Drives a <see cref="Trainer"/> inside a job: resumes from the job's last checkpoint, checks for cancellation
/// every step, reports progress and losses, and checkpoints every <c>checkpointEvery</c> steps.
/// </summary>
public static class TrainingLoop
{
    public static async Task RunAsync(JobContext context, Trainer trainer, TokenizedDataset? validation, int sequenceLength,
        int checkpointEvery, JobReport report, CancellationToken ct)
    {
        if (await context.LatestCheckpointAsync(ct) is { } checkpoint)
        {
            await using (checkpoint.State) trainer.LoadState(checkpoint.State);
            await context.EventAsync("resumed", $"resumed from the checkpoint at step {checkpoint.Step}", new { checkpoint.Step }, ct);
        }
        long total = trainer.Options.Steps;
        while (trainer.CompletedSteps < total)
        {
            await context.ThrowIfCancelRequestedAsync(ct);
            var metrics = trainer.Step();
            double? validationLoss = null;
            bool last = metrics.Step == total;
            if (validation is not null && (last || (trainer.Options.EvalEvery > 0 && metrics.Step % trainer.Options.EvalEvery == 0)))
            {
                var evaluation = JobData.Evaluate(trainer.Model, validation, sequenceLength, trainer.Options.EvalTokens, null, ct);
                metrics = metrics with { Evaluation = evaluation };
                validationLoss = evaluation.MeanNll;
                await context.EventAsync("evaluation", $"step {metrics.Step}: validation loss {evaluation.MeanNll:F4}, perplexity {evaluation.Perplexity:F2}",
                    new { metrics.Step, loss = evaluation.MeanNll, evaluation.Perplexity }, ct);
            }
            report.Record(metrics);
            await context.ProgressAsync(metrics.Step, total, metrics.TokensPerSecond, metrics.LmLoss, validationLoss, ct);
            if (metrics.Step % trainer.Options.LogEvery == 0 || last)
                await context.EventAsync("loss", $"step {metrics.Step}/{total}: loss {metrics.LmLoss:F4}, {metrics.TokensPerSecond:F0} tokens/s",
                    new { metrics.Step, metrics.LmLoss, metrics.AuxLoss, metrics.ConcentrationLoss, metrics.TokensPerSecond, metrics.LearningRate }, ct);
            if (checkpointEvery > 0 && metrics.Step % checkpointEvery == 0 && !last)
            {
                using var state = new MemoryStream();
                trainer.SaveState(state);
                state.Position = 0;
                await context.SaveCheckpointAsync(metrics.Step, state, ct);
            }
        }
    }
}
