using System.Text;
using System.Text.Json;
using ModuleService.Model.Training;
using ModuleService.Reports;

namespace ModuleService.Jobs;

/// <summary>
/// What a finished training job leaves behind for people: loss curves and expert-usage heatmaps as PNG, and a
/// markdown + JSON summary, stored as job files.
/// </summary>
public sealed class JobReport(string title)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    readonly List<(double Step, double Loss)> train = [];
    readonly List<(double Step, double Loss)> validation = [];
    readonly List<string> lines = [];
    readonly Dictionary<string, object?> summary = [];
    readonly List<(string Name, byte[] Png)> images = [];

    public void Record(StepMetrics metrics)
    {
        train.Add((metrics.Step, metrics.LmLoss));
        if (metrics.Evaluation is { } e) validation.Add((metrics.Step, e.MeanNll));
    }

    public void Line(string markdown) => lines.Add(markdown);
    public void Set(string key, object? value) => summary[key] = value;

    /// <summary>Layer × expert heatmap of the share of tokens routed to each MLP (or attention) expert.</summary>
    public void UsageHeatmap(string name, string caption, IReadOnlyList<LayerExpertUsage> usage, bool attention = false)
    {
        var rows = usage.Select(u => (IReadOnlyList<double>)(attention ? u.Attention : u.Mlp).Share).ToList();
        var heatmap = new Heatmap(rows)
        {
            Title = caption, XLabel = "expert", YLabel = "layer", ColorBarLabel = "share of selections",
            RowLabels = usage.Select(u => $"L{u.Layer}").ToList(), ShowValues = rows.Count > 0 && rows[0].Count <= 16,
        };
        images.Add((name, heatmap.ToPng()));
        lines.Add($"![{caption}]({name})");
    }

    public async Task SaveAsync(JobContext context, CancellationToken ct)
    {
        if (train.Count > 0)
        {
            var chart = new LineChart { Title = $"{title}: loss", XLabel = "step", YLabel = "loss (nats/token)" };
            chart.Add("train", train.Select(p => p.Step).ToList(), train.Select(p => p.Loss).ToList());
            if (validation.Count > 0) chart.Add("validation", validation.Select(p => p.Step).ToList(), validation.Select(p => p.Loss).ToList());
            images.Insert(0, ("loss.png", chart.ToPng()));
            lines.Insert(0, "![loss curves](loss.png)");
        }
        foreach (var (name, png) in images) await context.AddArtifactAsync(name, "image/png", png, ct);
        summary["trainLoss"] = train.Select(p => new { step = p.Step, loss = p.Loss }).ToList();
        summary["validationLoss"] = validation.Select(p => new { step = p.Step, loss = p.Loss }).ToList();
        await context.AddArtifactAsync("report.json", "application/json", JsonSerializer.SerializeToUtf8Bytes(summary, Json), ct);
        var markdown = new StringBuilder($"# {title}\n\nJob `{context.Job.Id}` ({context.Job.Type}), submitted by {context.Job.CreatedBy}.\n\n");
        foreach (var line in lines) markdown.Append(line).Append("\n\n");
        await context.AddArtifactAsync("report.md", "text/markdown", Encoding.UTF8.GetBytes(markdown.ToString()), ct);
    }
}
