using System.Text.Json;
using ModuleService.Reports;

namespace ModuleService.Cli;

/// <summary><c>modsvc soak-chart</c>: the API's memory over a soak run (scripts/soak.sh --json) as a PNG line chart.</summary>
public static class SoakChartCommand
{
    public const string Name = "soak-chart";

    public const string Usage = """
        Usage: modsvc soak-chart --json FILE --output PNG

        Draws the RSS samples of a soak report (scripts/soak.sh --json FILE: rss.samples, each {seconds, mib}) over
        time, and again the part after the warm-up (rss.baselineSeconds), where the growth is measured.

          --json FILE    the soak report
          --output PNG   where to write the chart

        """;

    private static readonly CommandSpec Spec = new(Name, Usage, ["--json", "--output"]);

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        CommandRunner.Execute(Spec, args, stdout, stderr, options =>
        {
            var path = options.Required("--json");
            var output = options.Required("--output");
            List<(double Seconds, double MiB)> samples;
            double? baseline;
            try
            {
                using var report = JsonDocument.Parse(File.ReadAllText(path));
                var rss = report.RootElement.GetProperty("rss");
                samples = [.. rss.GetProperty("samples").EnumerateArray().Select(s => (s.GetProperty("seconds").GetDouble(), s.GetProperty("mib").GetDouble()))];
                baseline = rss.TryGetProperty("baselineSeconds", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetDouble() : null;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new CliException($"{path}: not a soak report ({e.Message})");
            }
            if (samples.Count == 0) throw new CliException($"{path}: no RSS samples");
            var chart = new LineChart { Title = "API resident memory during the soak", XLabel = "seconds", YLabel = "RSS (MiB)" };
            chart.Add("RSS", samples.Select(s => s.Seconds).ToArray(), samples.Select(s => s.MiB).ToArray());
            if (baseline is { } start)
            {
                var after = samples.Where(s => s.Seconds >= start).ToList();
                chart.Add("after warm-up", after.Select(s => s.Seconds).ToArray(), after.Select(s => s.MiB).ToArray());
            }
            File.WriteAllBytes(output, chart.ToPng());
            stdout.WriteLine($"{output}: {samples.Count} samples");
            return ExitCodes.Ok;
        });
}
