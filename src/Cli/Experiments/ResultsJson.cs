using System.Text.Json;

namespace ModuleService.Cli.Experiments;

/// <summary>The numbers behind the report, for anyone who wants to plot or compare them differently.</summary>
public static class ResultsJson
{
    static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Serialize(ProtocolResults r) => JsonSerializer.Serialize(new
    {
        budget = r.Budget, r.MachineAtStart, r.MachineAtEnd, r.Parallel, r.WallSeconds, r.IsoTimeTokens,
        throughput = r.Throughput,
        verdicts = PassCriteria.Evaluate(r),
        gapClosed = PassCriteria.GapClosed(r),
        runs = new[] { r.Sparse, r.DenseActive, r.DenseTotal, r.SparseIsoTime, r.SparseExtended, r.DenseTotalFinetuned, r.DenseActiveFinetuned, r.Plain!.Run, r.Concentrated!.Run }
            .Select(Run),
        frozen = r.Frozen,
        specialisation = new[] { r.Plain, r.Concentrated }.Select(s => new
        {
            s!.LoadConcentration, s.MeanEntropy, s.MeanEffectiveExperts, pruning = s.Pruning,
            usage = s.TrainUsage.Select(u => new { u.Layer, share = u.Mlp.Share, entropy = u.Mlp.Entropy }),
        }),
        mutualInformation = new { pretrained = UsageStatistics.MutualInformation(r.Sparse!.Final), extended = UsageStatistics.MutualInformation(r.SparseExtended!.Final) },
    }, Options);

    static object Run(RunRecord? run) => new
    {
        run!.Name, run.Phase, run.Tokens, run.TrainSeconds, run.MedianStepTokensPerSecond, run.LoadAtStart, run.LoadAtEnd,
        curve = run.Curve,
        final = run.Final.ToDictionary(f => f.Key, f => new { f.Value.Perplexity, f.Value.BitsPerByte, f.Value.Tokens,
            usage = f.Value.Result.Usage.Select(u => new { u.Layer, share = u.Mlp.Share, entropy = u.Mlp.Entropy }) }),
        trainLoss = run.TrainLoss.Where((_, i) => i % 10 == 0).Select(p => new { tokens = p.Tokens, loss = p.Loss }),
    };
}
