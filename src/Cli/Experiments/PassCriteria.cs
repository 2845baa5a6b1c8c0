namespace ModuleService.Cli.Experiments;

/// <summary>One pass criterion of data-and-evaluation §4.2 with the measured value; Pass is null when it does not apply.</summary>
public sealed record Verdict(string Claim, string Criterion, string Measured, bool? Pass)
{
    public string Mark => Pass switch { true => "**pass**", false => "**miss**", null => "n/a" };
}

/// <summary>The derived numbers the criteria test, and the verdicts themselves.</summary>
public static class PassCriteria
{
    public const string En = CorpusFiles.English, Py = CorpusFiles.Python, De = CorpusFiles.German;

    public static double Mixture(RunRecord run) => MixtureAt(run.Curve[^1]);

    /// <summary>The mixture perplexity, exp of the mean NLL over en and py (equal token counts per domain).</summary>
    public static double MixtureAt(CurvePoint point) => Math.Exp((Math.Log(point.Perplexity[En]) + Math.Log(point.Perplexity[Py])) / 2);

    /// <summary>g = (PPL_Dact − PPL_SMoE) / (PPL_Dact − PPL_Dtot) on the mixture.</summary>
    public static double GapClosed(ProtocolResults r) =>
        (Mixture(r.DenseActive!) - Mixture(r.Sparse!)) / (Mixture(r.DenseActive!) - Mixture(r.DenseTotal!));

    public static double Rise(RunRecord run, string domain) => run.Curve[^1].Perplexity[domain] / run.Curve[0].Perplexity[domain] - 1;
    public static double Drop(RunRecord run, string domain) => run.Curve[0].Perplexity[domain] - run.Curve[^1].Perplexity[domain];

    /// <summary>Relative Python perplexity rise when pruned to <paramref name="kept"/> experts, against the unpruned model.</summary>
    public static double? PruneRise(SpecialiseResult s, int kept)
    {
        var full = s.Pruning.FirstOrDefault(p => p.Kept == s.Pruning.Max(q => q.Kept));
        var cut = s.Pruning.FirstOrDefault(p => p.Kept == kept);
        return full is null || cut is null ? null : cut.PythonPerplexity / full.PythonPerplexity - 1;
    }

    public static IReadOnlyList<Verdict> Evaluate(ProtocolResults r)
    {
        var v = new List<Verdict>();
        double g = GapClosed(r);
        // g measures how much of D-total's lead over D-active the SMoE recovers; with no lead it is undefined.
        bool defined = Mixture(r.DenseTotal!) < Mixture(r.DenseActive!);
        v.Add(new("1 efficiency", "gap closed g ≥ 0.5", defined ? $"g = {g:F2}"
            : $"undefined: D-total ({Mixture(r.DenseTotal!):F2}) is not better than D-active ({Mixture(r.DenseActive!):F2}); SMoE {Mixture(r.Sparse!):F2}", defined ? g >= 0.5 : null));
        var s = r.ThroughputOf(Names.Sparse);
        var t = r.ThroughputOf(Names.DenseTotal);
        double train = s.TrainTokensPerSecond / t.TrainTokensPerSecond, eval = s.EvalTokensPerSecond / t.EvalTokensPerSecond;
        v.Add(new("1 efficiency", "SMoE train and eval throughput ≥ 1.5× D-total", $"train {train:F2}×, eval {eval:F2}×", train >= 1.5 && eval >= 1.5));
        double iso = Mixture(r.SparseIsoTime!), total = Mixture(r.DenseTotal!);
        v.Add(new("1 efficiency", "at equal wall-clock SMoE PPL_mix ≤ D-total PPL_mix", $"{iso:F2} vs {total:F2}", iso <= total));

        var ext = r.SparseExtended!;
        double en = Rise(ext, En), py = Rise(ext, Py), ratio = Drop(ext, De) / Drop(r.DenseTotalFinetuned!, De);
        v.Add(new("2 extendability", "SMoE-ext: ΔPPL_en and ΔPPL_py ≤ +3 %", $"en {en:+0.0%;-0.0%}, py {py:+0.0%;-0.0%}", en <= 0.03 && py <= 0.03));
        v.Add(new("2 extendability", "SMoE-ext PPL_de drop ≥ 70 % of D-total-ft's drop", $"{ratio:P0}", ratio >= 0.7));
        double forgetting = Rise(r.DenseTotalFinetuned!, En);
        v.Add(new("2 extendability", "D-total-ft forgets: ΔPPL_en ≥ +20 % (reference)", $"{forgetting:+0.0%;-0.0%}", forgetting >= 0.2));
        v.Add(new("2 extendability", "old modules bit-identical after extension", $"{r.Frozen!.Tensors - r.Frozen.Changed.Count}/{r.Frozen.Tensors} tensors", r.Frozen.Identical));

        int quarter = r.Budget.Models.Sparse.MlpExperts / 4;
        double? with = PruneRise(r.Concentrated!, quarter), without = PruneRise(r.Plain!, quarter);
        bool applies = with is not null && without is not null && quarter >= r.Budget.Models.Sparse.MlpTopK;
        v.Add(new("3 specialisation", $"λc = 0.1, keep {quarter} of {quarter * 4}: PPL_py rise ≤ 5 %", applies ? $"{with:+0.0%;-0.0%}" : "—", applies ? with <= 0.05 : null));
        v.Add(new("3 specialisation", "λc = 0: the same pruning raises PPL_py ≥ 3× as much", applies ? $"{without:+0.0%;-0.0%} ({without / Math.Max(with!.Value, 1e-9):F1}×)" : "—",
            applies ? without >= 3 * Math.Max(with!.Value, 0) : null));
        return v;
    }
}
