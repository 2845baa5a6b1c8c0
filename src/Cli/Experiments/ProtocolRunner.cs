using System.Diagnostics;
using ModuleService.Model.Architecture;

namespace ModuleService.Cli.Experiments;

/// <summary>
/// Runs phases P, P′, E and S (data-and-evaluation §4.3) as two single-thread queues, one per core, after a
/// throughput probe that runs alone. Queue 1: P-D-total → E-D-total-ft → P′-SMoE. Queue 2: P-SMoE → P-D-active →
/// E-SMoE-ext → E-D-active-ft → S λc=0 → S λc=0.1. Each pretrained model is reused by all three claims.
/// </summary>
public static class ProtocolRunner
{
    /// <param name="parallel">run the two queues at once (false: one after the other, e.g. on a busy machine).</param>
    /// <param name="onIsoTimeModel">receives the P′ SMoE before it is disposed (e.g. to save it as the default model).</param>
    public static ProtocolResults Run(ProtocolData data, ProtocolBudget budget, bool parallel, ProtocolLog log,
        Action<ModuleFormerForCausalLM, RunRecord>? onIsoTimeModel = null)
    {
        var clock = Stopwatch.StartNew();
        var results = new ProtocolResults { Budget = budget, MachineAtStart = Machine.Describe(), Parallel = parallel };
        var models = budget.Models;
        log.Line($"protocol '{budget.Name}' on {results.MachineAtStart}; throughput probe first, alone");
        results.Throughput = models.All.Select(m => ThroughputProbe.Measure(m.Name, m.Config, data.Mixture, budget)).ToList();
        foreach (var t in results.Throughput) log.Line($"probe {t.Name}: train {t.TrainTokensPerSecond:F0} tok/s, eval {t.EvalTokensPerSecond:F0} tok/s, generation {t.GenerationMsPerToken:F2} ms/token");
        double ratio = results.ThroughputOf(Names.Sparse).TrainTokensPerSecond / results.ThroughputOf(Names.DenseTotal).TrainTokensPerSecond;
        results.IsoTimeTokens = budget.Steps((long)(budget.PretrainTokens * ratio)) * budget.TokensPerStep;

        void Queue1()
        {
            var (run, denseTotal) = PretrainPhase.Run(Names.DenseTotal, models.DenseTotal, budget.PretrainTokens, data, budget, log);
            results.DenseTotal = run;
            using (denseTotal)
            {
                var (finetuned, model) = ExtendPhase.FinetuneDense($"{Names.DenseTotal}-ft", denseTotal, run, data, budget, log);
                model.Dispose();
                results.DenseTotalFinetuned = finetuned;
            }
            var (isoRun, isoModel) = PretrainPhase.Run(Names.SparseIsoTime, models.Sparse, results.IsoTimeTokens, data, budget, log);
            results.SparseIsoTime = isoRun;
            using (isoModel) onIsoTimeModel?.Invoke(isoModel, isoRun);
        }

        void Queue2()
        {
            var (sparseRun, sparse) = PretrainPhase.Run(Names.Sparse, models.Sparse, budget.PretrainTokens, data, budget, log);
            results.Sparse = sparseRun;
            using var _ = sparse;
            var (activeRun, denseActive) = PretrainPhase.Run(Names.DenseActive, models.DenseActive, budget.PretrainTokens, data, budget, log);
            results.DenseActive = activeRun;
            var (extended, extendedModel, check) = ExtendPhase.ExtendSparse($"{Names.Sparse}-ext", sparse, sparseRun, data, budget, log);
            extendedModel.Dispose();
            (results.SparseExtended, results.Frozen) = (extended, check);
            using (denseActive)
            {
                var (finetuned, model) = ExtendPhase.FinetuneDense($"{Names.DenseActive}-ft", denseActive, activeRun, data, budget, log);
                model.Dispose();
                results.DenseActiveFinetuned = finetuned;
            }
            results.Plain = SpecialisePhase.Run(0, sparse, sparseRun, data, budget, log);
            results.Concentrated = SpecialisePhase.Run(0.1, sparse, sparseRun, data, budget, log);
        }

        if (parallel)
        {
            var queues = new[] { Queue1, Queue2 }.Select(q => Task.Factory.StartNew(q, TaskCreationOptions.LongRunning)).ToArray();
            try { Task.WaitAll(queues); }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1) { throw e.InnerExceptions[0]; }
        }
        else
        {
            Queue2();
            Queue1();
        }
        results.MachineAtEnd = Machine.Describe();
        results.WallSeconds = clock.Elapsed.TotalSeconds;
        log.Line($"protocol done in {results.WallSeconds / 60:F1} min");
        return results;
    }
}
