namespace ModuleService.Reports.Tests;

/// <summary>Realistic-looking sample data, shared by the tests and the sample-image writer.</summary>
internal static class Samples
{
    public static LineChart LossCurve()
    {
        var rnd = new Random(7);
        int steps = 2000;
        var x = Enumerable.Range(0, steps / 10).Select(i => i * 10.0).ToArray();
        // Exponential decay towards a floor plus noise, like a real cross-entropy curve.
        var train = x.Select(s => 2.1 + 8.6 * Math.Exp(-s / 260) + (rnd.NextDouble() - 0.5) * 0.25).ToArray();
        var vx = Enumerable.Range(0, steps / 100 + 1).Select(i => i * 100.0).ToArray();
        var val = vx.Select(s => 2.35 + 8.2 * Math.Exp(-s / 280) + 0.00012 * s).ToArray();
        val[7] = double.NaN; // a failed evaluation shows as a gap, not a crash
        return new LineChart { Title = "MoE fine-tune: loss (job 42)", XLabel = "step", YLabel = "cross-entropy loss" }
            .Add("train loss", x, train)
            .Add("validation loss", vx, val);
    }

    public static Heatmap ExpertUsage()
    {
        var rnd = new Random(3);
        const int layers = 12, experts = 8;
        var usage = new double[layers, experts];
        for (int l = 0; l < layers; l++)
        {
            // Deeper layers specialise: routing concentrates on a couple of experts.
            var raw = Enumerable.Range(0, experts).Select(e => Math.Exp((rnd.NextDouble() - 0.5) * (0.5 + l * 0.25))).ToArray();
            double sum = raw.Sum();
            for (int e = 0; e < experts; e++) usage[l, e] = raw[e] / sum;
        }
        return new Heatmap(usage)
        {
            Title = "Expert usage by layer (job 42)",
            XLabel = "expert",
            YLabel = "layer",
            ColorBarLabel = "share of tokens",
            RowLabels = Enumerable.Range(0, layers).Select(l => $"L{l}").ToArray(),
            ColumnLabels = Enumerable.Range(0, experts).Select(e => $"E{e}").ToArray(),
            ShowValues = true,
            ValueFormat = "0.00",
        };
    }

    public static Heatmap WideHeatmap()
    {
        var rnd = new Random(5);
        var rows = Enumerable.Range(0, 24)
            .Select(_ => (IReadOnlyList<double>)Enumerable.Range(0, 64).Select(_ => rnd.NextDouble() * 1500).ToArray()).ToList();
        return new Heatmap(rows) { Title = "Tokens per expert: 24 layers x 64 experts", XLabel = "expert", YLabel = "layer", ColorBarLabel = "tokens" };
    }

    public static LineChart ManySeries()
    {
        var chart = new LineChart { Title = "Learning-rate sweep: accuracy delta", XLabel = "epoch", YLabel = "delta (%)" };
        for (int k = 0; k < 5; k++)
            chart.Add($"lr=1e-{k + 3}", Enumerable.Range(0, 30).Select(e => (k - 2) * 0.8 * Math.Log(1 + e) + Math.Sin(e + k)).ToArray());
        return chart;
    }
}
