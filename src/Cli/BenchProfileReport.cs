using System.Globalization;

namespace ModuleService.Cli;

/// <summary>The <c>--profile</c> tables (one per variant, dtype and call) and their JSON form.</summary>
internal static class BenchProfileReport
{
    public static void WriteMarkdown(TextWriter o, IReadOnlyList<BenchResult> results, MachineLimits? limits)
    {
        o.WriteLine("### Profile: where the time of one call goes");
        o.WriteLine();
        o.WriteLine($"Mean of the timed calls after one warm-up; decode steps run with a KV cache of {BenchProfile.DecodePromptTokens + 1}–{BenchProfile.DecodePromptTokens + BenchProfile.DecodeSteps} positions. " +
                    "Per-layer parts are summed over the layers and exclude the parts nested in them. GFLOP counts useful matmul work only.");
        o.WriteLine();
        foreach (var r in results)
        {
            if (r.Profile is null) continue;
            foreach (var call in r.Profile.Calls)
            {
                double? rate = limits?.MatmulGflops(r.DType);
                o.WriteLine($"**{r.Variant.Name} {r.DTypeName}, {call.Mode}**: {F(call.TotalMs)} ms per call (mean of {call.Calls})");
                o.WriteLine();
                o.WriteLine(rate is null ? "| component | ms per call | % of total | GFLOP | GFLOP/s |" : "| component | ms per call | % of total | GFLOP | GFLOP/s | % of matmul |");
                o.WriteLine(rate is null ? "|---|---:|---:|---:|---:|" : "|---|---:|---:|---:|---:|---:|");
                foreach (var row in Rows(r, call))
                {
                    string line = $"| {row.Label} | {F(row.Ms)} | {P(row.Ms / call.TotalMs)} | {G(row.Gflop)} | {G(row.Gflops)} |";
                    o.WriteLine(rate is double peak ? line + $" {P(row.Gflops / peak)} |" : line);
                }
                o.WriteLine();
            }
        }
    }

    public static Dictionary<string, object?>? Json(BenchResult r) => r.Profile?.Calls.ToDictionary(
        call => call.Mode.Split(' ')[0] == "prefill" ? "prefill" : call.Mode.Replace(' ', '_'),
        call => (object?)new Dictionary<string, object?>
        {
            ["batch"] = call.Batch,
            ["new_tokens"] = call.Tokens,
            ["mean_context"] = call.MeanContext,
            ["calls"] = call.Calls,
            ["total_ms"] = Math.Round(call.TotalMs, 4),
            ["components"] = Rows(r, call).Select(row => new Dictionary<string, object?>
            {
                ["name"] = row.Path, ["ms"] = Math.Round(row.Ms, 4), ["fraction"] = Math.Round(row.Ms / call.TotalMs, 4),
                ["gflop"] = row.Gflop is double g ? Math.Round(g, 6) : null, ["gflops"] = row.Gflops is double s ? Math.Round(s, 4) : null,
            }).ToList(),
        });

    private sealed record Row(string Path, string Label, double Ms, double? Gflop)
    {
        public double? Gflops => Gflop is double g && Ms > 0 ? g / (Ms / 1000) : null;
    }

    private static IEnumerable<Row> Rows(BenchResult r, ProfiledCall call) =>
        BenchProfileComponents.Split(call).Select(s =>
            new Row(s.Component.Path, s.Component.Label, s.Ms, s.Component.Flops?.Invoke(r.Variant.Config, r.Counts, call) / 1e9));

    private static string F(double ms) => ms.ToString(Math.Abs(ms) >= 10 ? "F1" : "F3", CultureInfo.InvariantCulture);

    private static string P(double? fraction) => fraction is double f ? (100 * f).ToString("F1", CultureInfo.InvariantCulture) + " %" : "—";

    private static string G(double? value) => value is double v ? v.ToString(v >= 100 ? "F0" : "G3", CultureInfo.InvariantCulture) : "—";
}
