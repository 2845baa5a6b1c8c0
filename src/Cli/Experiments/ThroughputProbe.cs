using System.Diagnostics;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Generation;
using ModuleService.Model.Training;

namespace ModuleService.Cli.Experiments;

/// <summary>Training, evaluation and generation speed of one model, measured back to back with the others.</summary>
public sealed record Throughput(string Name, long TotalParameters, long ActiveParameters, double TrainTokensPerSecond,
    double EvalTokensPerSecond, double GenerationMsPerToken, double? LoadAtStart, double? LoadAtEnd);

/// <summary>
/// Measures throughput on fresh models of each config in one process, one after the other, so the numbers compare
/// (§4.2: median training step after 10 warm-up steps — fewer on reduced budgets; eval over 8 × T batches without gradients; batch-1 greedy
/// generation with the KV cache). Done once, apart from the training runs, so a run on the other core cannot skew it.
/// </summary>
public static class ThroughputProbe
{
    public static Throughput Measure(string name, ModuleFormerConfig config, int[] tokens, ProtocolBudget budget)
    {
        double? loadAtStart = Machine.LoadAverage();
        using var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(7);
        int t = budget.Models.SequenceLength;
        var options = new TrainerOptions { Steps = budget.ProbeWarmup + budget.ProbeSteps, BatchSize = budget.BatchSize, SequenceLength = t, LearningRate = 1e-4, WarmupSteps = 0, Seed = 7 };
        var rates = new List<double>();
        using (var trainer = new Trainer(model, tokens, options))
        {
            for (int step = 0; step < options.Steps; step++)
            {
                var metrics = trainer.Step();
                if (step >= budget.ProbeWarmup) rates.Add(metrics.TokensPerSecond);
            }
        }
        var evalTokens = tokens.Take(Math.Min(tokens.Length, Math.Min(8, budget.ProbeSteps) * budget.BatchSize * t + 1)).ToArray();
        double evalRate = Evaluator.Evaluate(model, evalTokens, t, budget.BatchSize).TokensPerSecond;
        double generation = GenerationMsPerToken(model, tokens.Take(16).Select(id => (long)id).ToArray(), newTokens: Math.Min(64, t - 16));
        var counts = ParameterCounts.For(config);
        return new Throughput(name, counts.Total, counts.ActivePerToken, Median(rates), evalRate, generation, loadAtStart, Machine.LoadAverage());
    }

    static double GenerationMsPerToken(ModuleFormerForCausalLM model, long[] prompt, int newTokens)
    {
        var options = new GenerationOptions(MaxNewTokens: newTokens);
        TextGenerator.Generate(model, [prompt], options with { MaxNewTokens = 4 }, [SamplingOptions.Greedy]);   // warm-up
        var clock = Stopwatch.StartNew();
        var result = TextGenerator.Generate(model, [prompt], options, [SamplingOptions.Greedy]);
        return clock.Elapsed.TotalMilliseconds / Math.Max(1, result[0].Tokens.Count);
    }

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
