using System.Diagnostics;
using ModuleService.Model.Architecture;
using ModuleService.Model.Training;

namespace ModuleService.Cli.Experiments;

/// <summary>One evaluation along a run: perplexity per domain after <c>Tokens</c> training tokens and <c>Seconds</c> of training.</summary>
public sealed record CurvePoint(long Tokens, double Seconds, IReadOnlyDictionary<string, double> Perplexity);

/// <summary>What a training run leaves: its curve, its training losses and its pure training time.</summary>
public sealed record RunRecord(string Name, string Phase, long Tokens, double TrainSeconds, double MedianStepTokensPerSecond,
    IReadOnlyList<CurvePoint> Curve, IReadOnlyList<(long Tokens, double Loss)> TrainLoss, double? LoadAtStart, double? LoadAtEnd)
{
    /// <summary>The end point on the whole capped validation sets, with usage (not serialised: see the report's own records).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public IReadOnlyDictionary<string, DomainScore> Final { get; init; } = new Dictionary<string, DomainScore>();
}

/// <summary>
/// Trains with the product's <see cref="Trainer"/> step by step, timing only the steps (evaluations are excluded
/// from <see cref="RunRecord.TrainSeconds"/>), and evaluates every domain at fixed token intervals and at the end.
/// </summary>
public sealed class TrainingRun(string name, string phase, ProtocolLog log)
{
    public RunRecord Train(ModuleFormerForCausalLM model, int[] tokens, TrainerOptions options, TrainableSelection? selection,
        IReadOnlyList<DomainTokens> domains, long evalEveryTokens, long curveEvalTokens, CurvePoint? start = null)
    {
        double? loadAtStart = Machine.LoadAverage();
        var curve = new List<CurvePoint>();
        var losses = new List<(long, double)>();
        var stepRates = new List<double>();
        long tokensPerStep = options.BatchSize * options.SequenceLength;
        long evalEvery = Math.Max(1, evalEveryTokens / tokensPerStep);
        if (start is not null) curve.Add(start);   // e.g. the pretrained model's end point, as the finetuning curve's origin
        var clock = new Stopwatch();
        using var trainer = new Trainer(model, tokens, options, selection);
        while (trainer.CompletedSteps < options.Steps)
        {
            clock.Start();
            var metrics = trainer.Step();
            clock.Stop();
            losses.Add((metrics.Tokens, metrics.LmLoss));
            if (metrics.Step > 10) stepRates.Add(metrics.TokensPerSecond);
            bool last = metrics.Step == options.Steps;
            if (metrics.Step % 50 == 0) log.Line($"{name}: step {metrics.Step}/{options.Steps}, loss {metrics.LmLoss:F3}, {metrics.TokensPerSecond:F0} tok/s");
            if (metrics.Step % evalEvery == 0 && !last)
            {
                curve.Add(Point(model, domains, metrics.Tokens, clock.Elapsed.TotalSeconds, options.SequenceLength, curveEvalTokens));
                log.Line($"{name}: {metrics.Tokens:N0} tokens, loss {metrics.LmLoss:F3}, {Describe(curve[^1])}");
            }
        }
        // The end point uses the whole (capped) validation sets, like every table in the report.
        var final = domains.ToDictionary(d => d.Domain, d => DomainEvaluation.Score(model, d, options.SequenceLength));
        curve.Add(new CurvePoint(trainer.TokensTrained, clock.Elapsed.TotalSeconds, final.ToDictionary(f => f.Key, f => f.Value.Perplexity)));
        log.Line($"{name}: done, {trainer.TokensTrained:N0} tokens in {clock.Elapsed.TotalSeconds:F0} s of training, {Describe(curve[^1])}");
        double median = stepRates.Count > 0 ? stepRates.Order().ElementAt(stepRates.Count / 2) : trainer.TokensTrained / clock.Elapsed.TotalSeconds;
        return new RunRecord(name, phase, trainer.TokensTrained, clock.Elapsed.TotalSeconds, median, curve, losses, loadAtStart, Machine.LoadAverage()) { Final = final };
    }

    static CurvePoint Point(ModuleFormerForCausalLM model, IReadOnlyList<DomainTokens> domains, long tokens, double seconds, int sequenceLength, long? maxTokens) =>
        new(tokens, seconds, domains.ToDictionary(d => d.Domain, d => DomainEvaluation.Score(model, d, sequenceLength, maxTokens).Perplexity));

    static string Describe(CurvePoint point) => string.Join(", ", point.Perplexity.Select(p => $"PPL {p.Key} {p.Value:F2}"));
}
