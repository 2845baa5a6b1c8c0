using ModuleService.Model.Training;
using ModuleService.Reports;
using static ModuleService.Cli.Experiments.PassCriteria;

namespace ModuleService.Cli.Experiments;

/// <summary>The report's PNG figures (ASCII labels: the charts' bitmap font has no Greek or primes).</summary>
public static class ResultsPlots
{
    public static IReadOnlyList<(string File, string Caption, byte[] Png)> Draw(ProtocolResults r)
    {
        var plots = new List<(string, string, byte[])>();
        var pretraining = new[] { r.Sparse!, r.DenseActive!, r.DenseTotal!, r.SparseIsoTime! };
        var byTokens = new LineChart { Title = "Phase P: mixture perplexity vs training tokens", XLabel = "training tokens", YLabel = "PPL (en+py)", LogY = true };
        var bySeconds = new LineChart { Title = "Phase P: mixture perplexity vs training time", XLabel = "seconds of training (probe rate)", YLabel = "PPL (en+py)", LogY = true };
        foreach (var run in pretraining)
        {
            var points = run.Curve.Where(p => p.Tokens > 0).ToList();
            // Time at the probe's back-to-back rate, so a busy neighbour during one run does not decide the comparison.
            double rate = r.ThroughputOf(run.Name == Names.SparseIsoTime ? Names.Sparse : run.Name).TrainTokensPerSecond;
            byTokens.Add(run.Name, points.Select(p => (double)p.Tokens).ToList(), points.Select(MixtureAt).ToList());
            bySeconds.Add(run.Name, points.Select(p => p.Tokens / rate).ToList(), points.Select(MixtureAt).ToList());
        }
        plots.Add(("efficiency-tokens.png", "Claim 1: learning curves at equal tokens", byTokens.ToPng()));
        plots.Add(("efficiency-time.png", "Claim 1: learning curves at equal wall-clock (tokens ÷ probe throughput)", bySeconds.ToPng()));

        var extension = new[] { r.SparseExtended!, r.DenseTotalFinetuned!, r.DenseActiveFinetuned! };
        var bars = new BarChart([En, Py, De]) { Title = "Phase E: perplexity before and after adding German", YLabel = "PPL (log10)", ValueFormat = "0.00" };
        bars.Add("pretrained SMoE", Log10(extension[0].Curve[0]));
        foreach (var run in extension) bars.Add(run.Name, Log10(run.Curve[^1]));
        bars.Add("pretrained D-total", Log10(extension[1].Curve[0]));
        plots.Add(("extension-bars.png", "Claim 2: per-domain perplexity (log10) before and after extension", bars.ToPng(1000, 500)));
        var tradeoff = new LineChart { Title = "Phase E: German learned vs English forgotten", XLabel = "PPL de-man", YLabel = "PPL en-books", LogY = true };
        foreach (var run in extension) tradeoff.Add(run.Name, run.Curve.Select(p => p.Perplexity[De]).ToList(), run.Curve.Select(p => p.Perplexity[En]).ToList());
        plots.Add(("extension-tradeoff.png", "Claim 2: trade-off curve, one point per 100 k tokens (start at the right)", tradeoff.ToPng()));

        var pruning = new LineChart { Title = "Phase S: Python perplexity after pruning", XLabel = "MLP experts kept per layer", YLabel = "PPL py-code" };
        foreach (var arm in new[] { r.Plain!, r.Concentrated! })
        {
            var steps = arm.Pruning.OrderBy(p => p.Kept).ToList();
            pruning.Add($"lc={arm.LoadConcentration:0.###}", steps.Select(p => (double)p.Kept).ToList(), steps.Select(p => p.PythonPerplexity).ToList());
        }
        plots.Add(("pruning-curve.png", "Claim 3: pruning curve", pruning.ToPng()));
        var finetuning = new LineChart { Title = "Phase S: finetuning on py-code", XLabel = "finetuning tokens", YLabel = "PPL", LogY = true };
        foreach (var arm in new[] { r.Plain!, r.Concentrated! })
            foreach (var domain in new[] { Py, En })
                finetuning.Add($"lc={arm.LoadConcentration:0.###} {domain}", arm.Run.Curve.Select(p => (double)p.Tokens).ToList(), arm.Run.Curve.Select(p => p.Perplexity[domain]).ToList());
        plots.Add(("specialisation-curves.png", "Claim 3: finetuning curves", finetuning.ToPng()));

        plots.Add(Usage("usage-pretrained.png", "SMoE after pretraining on en + py", r.Sparse!.Final, [En, Py, De]));
        plots.Add(Usage("usage-extended.png", "SMoE-ext after adding German experts", r.SparseExtended!.Final, [En, Py, De]));
        foreach (var arm in new[] { r.Plain!, r.Concentrated! })
            plots.Add(Usage($"usage-python-lc{arm.LoadConcentration:0.###}.png", $"SMoE finetuned on py, lc={arm.LoadConcentration:0.###}", arm.Run.Final, [En, Py]));
        return plots;
    }

    static IReadOnlyList<double> Log10(CurvePoint point) => new[] { En, Py, De }.Select(d => Math.Log10(point.Perplexity[d])).ToList();

    /// <summary>Rows = domain × layer, columns = experts: a module that specialises is bright in one domain's rows only.</summary>
    static (string, string, byte[]) Usage(string file, string title, IReadOnlyDictionary<string, DomainScore> scores, string[] domains)
    {
        var rows = new List<IReadOnlyList<double>>();
        var labels = new List<string>();
        foreach (var domain in domains)
            foreach (var layer in scores[domain].Result.Usage)
            {
                rows.Add(layer.Mlp.Share);
                labels.Add($"{domain[..2]} L{layer.Layer}");
            }
        var heatmap = new Heatmap(rows)
        {
            Title = $"MLP expert usage: {title}", XLabel = "expert", YLabel = "domain, layer", ColorBarLabel = "share of selections",
            RowLabels = labels, ValueFormat = "0.00",
        };
        return (file, $"Expert usage (layer × expert, per domain): {title}", heatmap.ToPng(900, 120 + 28 * rows.Count));
    }
}
