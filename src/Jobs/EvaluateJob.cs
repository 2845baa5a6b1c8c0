using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Datasets;

namespace ModuleService.Jobs;

/// <summary><c>evaluate</c>: perplexity, bits per byte and expert usage (entropy, effective experts, heatmap) per dataset.</summary>
public sealed class EvaluateJob(JobData data) : IJobHandler
{
    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        await services.GetRequiredService<AssemblyService>().GetAsync(AssemblyRef.Parse(JobParameters.RequireString(p, "assembly")), ct);
        var names = JobParameters.StringList(p, "datasets");
        if (names.Count == 0) throw new JobParameterException("datasets", "at least one dataset is required");
        foreach (var name in names) await services.GetRequiredService<DatasetStore>().GetAsync(name, ct);
        JobParameters.RequireInt(p, "sequenceLength", 2, 8192);
        JobParameters.RequireInt(p, "maxTokens", 1, long.MaxValue);
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var (assembly, model, tokenizer) = await data.LoadAssemblyAsync(context.Parameter("assembly", ""), ct);
        using var _ = model;
        int sequenceLength = context.Parameter("sequenceLength", 128);
        long maxTokens = context.Parameter<long>("maxTokens", 65_536);
        var report = new JobReport($"Evaluation of {assembly.Summary.Name}@{assembly.Summary.Version}");
        var results = new List<object>();
        foreach (var name in context.Parameter<List<string>>("datasets", []))
        {
            await context.ThrowIfCancelRequestedAsync(ct);
            var dataset = await data.TokenizeAsync(name, tokenizer, ct);
            var evaluation = JobData.Evaluate(model, dataset, sequenceLength, maxTokens, null, ct);
            results.Add(new
            {
                dataset = name, evaluation.Tokens, evaluation.Perplexity, evaluation.BitsPerByte,
                usage = UsageSummary.PerLayer(evaluation.Usage),
            });
            report.Line($"**{name}**: perplexity {evaluation.Perplexity:F3}, bits per byte {evaluation.BitsPerByte:F4} over {evaluation.Tokens} tokens.");
            report.UsageHeatmap($"usage-{name}.png", $"MLP expert usage on {name}", evaluation.Usage);
            await context.EventAsync("evaluation", $"{name}: perplexity {evaluation.Perplexity:F3}", new { dataset = name, evaluation.Perplexity, evaluation.BitsPerByte }, ct);
        }
        report.Set("results", results);
        await report.SaveAsync(context, ct);
        await context.SetResultAsync(new { assembly = $"{assembly.Summary.Name}@{assembly.Summary.Version}", results, report = "report.md" }, ct);
    }
}
