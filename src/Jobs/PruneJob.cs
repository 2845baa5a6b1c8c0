using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Model.Architecture;
using ModuleService.Model.Surgery;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Modules;

namespace ModuleService.Jobs;

/// <summary>
/// <c>prune</c>: measure MLP expert usage on a dataset, keep the top <c>keepMlpExperts</c> per layer, and report
/// the plan (modules dropped, bytes saved, perplexity before and after). Without <c>dryRun</c> it registers a new
/// assembly version without those modules; nothing is deleted and the previous version stays.
/// </summary>
public sealed class PruneJob(JobData data, AssemblyService assemblies, ModuleCatalog catalog) : IJobHandler
{
    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        var assembly = await assemblies.GetAsync(AssemblyRef.Parse(JobParameters.RequireString(p, "assembly")), ct);
        await services.GetRequiredService<DatasetStore>().GetAsync(JobParameters.RequireString(p, "dataset"), ct);
        JobParameters.RequireInt(p, "keepMlpExperts", 1, 4096, optional: false);
        JobParameters.RequireInt(p, "sequenceLength", 2, 8192);
        JobParameters.RequireInt(p, "maxTokens", 1, long.MaxValue);
        JobParameters.RequireBool(p, "dryRun");
        int keep = p.GetProperty("keepMlpExperts").GetInt32();
        var config = FamilyConfig.ToConfig((await catalog.GetFamilyAsync(assembly.Summary.FamilyId.ToString(), ct)).Config.GetRawText());
        if (keep < config.MlpTopK || keep > assembly.MlpExperts)
            throw new JobParameterException("keepMlpExperts", $"must be between k_mlp = {config.MlpTopK} and the {assembly.MlpExperts} experts per layer");
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var (assembly, model, tokenizer) = await data.LoadAssemblyAsync(context.Parameter("assembly", ""), ct);
        using var _ = model;
        int keep = context.Parameter("keepMlpExperts", model.Config.MlpExperts);
        int sequenceLength = context.Parameter("sequenceLength", 128);
        long maxTokens = context.Parameter<long>("maxTokens", 65_536);
        var dataset = await data.TokenizeAsync(context.Parameter("dataset", ""), tokenizer, ct);

        var before = JobData.Evaluate(model, dataset, sequenceLength, maxTokens, null, ct);
        var kept = PruningPlan.MostUsedMlpExperts(before.Usage, keep);
        var after = JobData.Evaluate(model, dataset, sequenceLength, maxTokens, ExpertMask.Keep(model.Config, null, kept), ct);

        var dropped = assembly.Manifest.Layers.SelectMany((layer, l) => layer.Mlp.Where((_, e) => !kept[l].Contains(e))).ToList();
        long bytesSaved = 0;
        foreach (var entry in dropped) bytesSaved += (await catalog.GetVersionAsync(entry.VersionId, ct)).Size;
        bool dryRun = context.Parameter("dryRun", false);
        AssemblyDetail? created = null;
        if (!dryRun)
        {
            await context.ThrowIfCancelRequestedAsync(ct);
            created = await assemblies.ComposeAsync(new ComposeRequest(assembly.Summary.Name,
                new AssemblyRef(assembly.Summary.Name, assembly.Summary.Version.ToString()), null, dropped.Select(d => d.VersionId).ToList(),
                $"prune job {context.Job.Id}: top {keep} MLP experts per layer by usage on {dataset.Dataset.Name}"), context.Actor, ct);
        }

        var report = new JobReport($"Prune {assembly.Summary.Name}@{assembly.Summary.Version} to {keep} MLP experts per layer");
        report.Line($"Usage measured on **{dataset.Dataset.Name}** ({before.Tokens} tokens). Dropping {dropped.Count} module versions, {bytesSaved:N0} bytes.");
        report.Line($"Perplexity {before.Perplexity:F3} → {after.Perplexity:F3} ({(after.Perplexity / before.Perplexity - 1) * 100:+0.00;-0.00}%).");
        report.Line(dryRun ? "Dry run: nothing registered." : $"Registered {created!.Summary.Name}@{created.Summary.Version} (draft).");
        report.UsageHeatmap("usage.png", $"MLP expert usage on {dataset.Dataset.Name}", before.Usage);
        var result = new
        {
            dryRun, keepMlpExperts = keep, dropped = dropped.Select(d => d.Module), droppedCount = dropped.Count, bytesSaved,
            perplexityBefore = before.Perplexity, perplexityAfter = after.Perplexity,
            keptPerLayer = kept, assembly = created is null ? null : new { created.Summary.Name, created.Summary.Version, created.Summary.ManifestHash },
            report = "report.md",
        };
        report.Set("result", result);
        await report.SaveAsync(context, ct);
        await context.SetResultAsync(result, ct);
    }
}
