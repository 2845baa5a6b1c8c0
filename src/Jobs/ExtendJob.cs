using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Surgery;
using ModuleService.Model.Training;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Modules;
using TorchSharp;

namespace ModuleService.Jobs;

/// <summary>
/// <c>extend</c>: append new experts to every layer, train only them (LM + MI loss) on a new domain with every
/// old module frozen, check the old modules unchanged by hash, and register the new experts and a draft assembly.
/// It is promoted to active only if no guard dataset's perplexity rose more than the forgetting budget.
/// </summary>
public sealed class ExtendJob(JobData data, ModuleCatalog catalog, AssemblyService assemblies) : IJobHandler
{
    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        var assembly = await assemblies.GetAsync(AssemblyRef.Parse(JobParameters.RequireString(p, "assembly")), ct);
        var store = services.GetRequiredService<DatasetStore>();
        await store.GetAsync(JobParameters.RequireString(p, "dataset"), ct);
        foreach (var guard in JobParameters.StringList(p, "guardDatasets")) await store.GetAsync(guard, ct);
        if (JobParameters.OptionalString(p, "validationDataset") is { } validation) await store.GetAsync(validation, ct);
        JobParameters.RequireBool(p, "promote");
        JobParameters.RequireInt(p, "newMlpExperts", 0, 256);
        JobParameters.RequireInt(p, "newAttentionExperts", 0, 256);
        if (Get(p, "newMlpExperts", 2) + Get(p, "newAttentionExperts", 0) == 0)
            throw new JobParameterException("newMlpExperts", "at least one new expert (MLP or attention) is needed");
        JobParameters.RequireNumber(p, "forgettingBudget", 0, 10);
        JobParameters.CheckTraining(p);
        _ = assembly;
    }

    static int Get(JsonElement p, string name, int fallback) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var (assembly, baseModel, tokenizer) = await data.LoadAssemblyAsync(context.Parameter("assembly", ""), ct);
        using var _ = baseModel;
        var config = baseModel.Config;
        int newMlp = context.Parameter("newMlpExperts", 2), newAttention = context.Parameter("newAttentionExperts", 0);
        var options = TrainingParameters.Read(context, defaultLearningRate: 1e-3);
        var target = await data.TokenizeAsync(context.Parameter("dataset", ""), tokenizer, ct);
        var validation = context.Parameter<string?>("validationDataset", null) is { } v ? await data.TokenizeAsync(v, tokenizer, ct) : target;
        var guards = new List<TokenizedDataset>();
        foreach (var g in context.Parameter<List<string>>("guardDatasets", [])) guards.Add(await data.TokenizeAsync(g, tokenizer, ct));

        var before = Evaluate(baseModel, validation, guards, options, ct);
        var baseStateDict = baseModel.state_dict();
        var oldHashes = ModuleHashes.Of(config, baseStateDict);
        var generator = new torch.Generator((ulong)options.Seed);
        var (grownConfig, grown) = (config, (IReadOnlyDictionary<string, torch.Tensor>)baseStateDict);
        if (newMlp > 0) (grownConfig, grown) = ExpertSurgery.AppendExperts(grownConfig, grown, ModuleKind.MlpExpert, newMlp, generator);
        if (newAttention > 0) (grownConfig, grown) = ExpertSurgery.AppendExperts(grownConfig, grown, ModuleKind.AttentionExpert, newAttention, generator);
        using var model = ModelCheckpoint.FromStateDict(grownConfig, grown);

        var report = new JobReport($"Extend {assembly.Summary.Name}@{assembly.Summary.Version} with {target.Dataset.Name}");
        var selection = TrainableSelection.NewExperts(newAttention > 0 ? config.AttentionExperts : null, newMlp > 0 ? config.MlpExperts : null);
        using (var trainer = new Trainer(model, target.Train, options, selection, validation.Validation))
            await TrainingLoop.RunAsync(context, trainer, validation, options.SequenceLength, TrainingParameters.CheckpointEvery(context, options.Steps), report, ct);

        var after = Evaluate(model, validation, guards, options, ct);
        var newStateDict = model.state_dict();
        var newHashes = ModuleHashes.Of(grownConfig, newStateDict);
        var changed = oldHashes.Where(o => newHashes[o.Key] != o.Value).Select(o => o.Key).ToList();
        if (changed.Count > 0) throw new InvalidOperationException($"frozen modules changed during training: {string.Join(", ", changed)}");
        await context.ThrowIfCancelRequestedAsync(ct);

        // Register: only the new experts are new module versions; the old ones are referenced as they are.
        using var parts = ModuleSplitter.Split(grownConfig, newStateDict);
        var provenance = Provenance.Job(context.Job.Id.ToString(), target.Dataset.Id.ToString());
        var added = new List<ModuleAddition>();
        foreach (var part in parts.Parts.Where(p => !oldHashes.ContainsKey(p.Name)))
            added.Add(new ModuleAddition((await catalog.CreateVersionAsync(assembly.Summary.FamilyId, part, provenance, Stage.Draft, context.Actor, ct)).Id));
        var created = await assemblies.ComposeAsync(new ComposeRequest(assembly.Summary.Name,
            new AssemblyRef(assembly.Summary.Name, assembly.Summary.Version.ToString()), added, null,
            $"extend job {context.Job.Id}: +{newMlp} MLP, +{newAttention} attention experts per layer on {target.Dataset.Name}"), context.Actor, ct);

        double budget = context.Parameter("forgettingBudget", 0.02);
        var forgetting = guards.Select((g, i) => (g.Dataset.Name, Before: before.Guards[i].Perplexity, After: after.Guards[i].Perplexity)).ToList();
        var breached = forgetting.Where(f => f.After > f.Before * (1 + budget)).ToList();
        bool promoted = breached.Count == 0 && context.Parameter("promote", true);
        if (promoted) await assemblies.SetStageAsync(new AssemblyRef(created.Summary.Name, created.Summary.Version.ToString()), Stage.Active, context.Actor, "guards within the forgetting budget", ct);

        report.Line($"New domain **{target.Dataset.Name}**: perplexity {before.Target.Perplexity:F3} → {after.Target.Perplexity:F3}.");
        foreach (var f in forgetting) report.Line($"Guard **{f.Name}**: perplexity {f.Before:F3} → {f.After:F3} ({(f.After / f.Before - 1) * 100:+0.00;-0.00}%, budget {budget * 100:0.##}%).");
        report.Line(promoted ? $"Assembly {created.Summary.Name}@{created.Summary.Version} promoted to active."
            : breached.Count > 0 ? $"Not promoted: {string.Join(", ", breached.Select(b => b.Name))} forgot more than the budget." : "Left as draft (promote: false).");
        report.Line($"{oldHashes.Count} old modules verified unchanged by sha256; {added.Count} new module versions.");
        report.UsageHeatmap("usage-new-domain.png", $"MLP expert usage on {target.Dataset.Name} after extension", after.TargetUsage);
        var result = new
        {
            assembly = new { created.Summary.Name, created.Summary.Version, created.Summary.ManifestHash, stage = promoted ? "active" : "draft" },
            moduleVersions = added.Select(a => a.ModuleVersionId), promoted,
            target = new { dataset = target.Dataset.Name, before = before.Target.Perplexity, after = after.Target.Perplexity },
            guards = forgetting.Select(f => new { dataset = f.Name, before = f.Before, after = f.After, rise = f.After / f.Before - 1 }),
            trainingTokensPerSecond = context.Job.TokensPerSecond, report = "report.md",
        };
        report.Set("result", result);
        await report.SaveAsync(context, ct);
        await context.SetResultAsync(result, ct);
    }

    sealed record Scores(EvaluationResult Target, IReadOnlyList<EvaluationResult> Guards)
    {
        public IReadOnlyList<LayerExpertUsage> TargetUsage => Target.Usage;
    }

    static Scores Evaluate(ModuleService.Model.Architecture.ModuleFormerForCausalLM model, TokenizedDataset target, List<TokenizedDataset> guards, TrainerOptions o, CancellationToken ct) =>
        new(JobData.Evaluate(model, target, o.SequenceLength, o.EvalTokens, null, ct),
            guards.Select(g => JobData.Evaluate(model, g, o.SequenceLength, o.EvalTokens, null, ct)).ToList());
}
