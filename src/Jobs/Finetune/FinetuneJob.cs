using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Model.Training;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Modules;

namespace ModuleService.Jobs.Finetune;

/// <summary>
/// <c>finetune</c>: train the chosen modules of an assembly on a dataset (everything else frozen, without optimizer
/// state), optionally with the load-concentration loss (spec §6.4) so the task settles on few experts. Frozen modules
/// are checked unchanged by hash; modules whose weights changed get new versions, and the base with those swapped in
/// becomes a new draft assembly. Validation perplexity and expert usage are measured before and after.
/// </summary>
public sealed class FinetuneJob(JobData data, ModuleCatalog catalog, AssemblyService assemblies) : IJobHandler
{
    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        var assembly = await assemblies.GetAsync(AssemblyRef.Parse(JobParameters.RequireString(p, "assembly")), ct);
        var store = services.GetRequiredService<DatasetStore>();
        await store.GetAsync(JobParameters.RequireString(p, "dataset"), ct);
        if (p.TryGetProperty("validationDataset", out var v) && v.ValueKind != JsonValueKind.Null)
            await store.GetAsync(JobParameters.RequireString(p, "validationDataset"), ct);
        await FinetuneModules.ResolveAsync(JobParameters.StringList(p, FinetuneModules.Field), assembly, catalog, ct);
        if (p.TryGetProperty("name", out var name) && name.ValueKind != JsonValueKind.Null) JobParameters.RequireString(p, "name");
        JobParameters.CheckTraining(p);
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var (assembly, model, tokenizer) = await data.LoadAssemblyAsync(context.Parameter("assembly", ""), ct);
        using var _ = model;
        var config = model.Config;
        var selection = await FinetuneModules.ResolveAsync(context.Parameter<List<string>>(FinetuneModules.Field, []), assembly, catalog, ct);
        // Released MoLM configs finetune without the balancing loss (spec §9.5); the concentration loss is the point here.
        var options = TrainingParameters.Read(context, defaultLearningRate: 1e-3, defaultAuxLossWeight: 0);
        var train = await data.TokenizeAsync(context.Parameter("dataset", ""), tokenizer, ct);
        var validation = context.Parameter<string?>("validationDataset", null) is { } v ? await data.TokenizeAsync(v, tokenizer, ct) : train;

        var before = JobData.Evaluate(model, validation, options.SequenceLength, options.EvalTokens, null, ct);
        var oldHashes = ModuleHashes.Of(config, model.state_dict());
        var trained = selection.TrainedParts(config);
        var baseLabel = $"{assembly.Summary.Name}@{assembly.Summary.Version}";
        var report = new JobReport($"Finetune {baseLabel} on {train.Dataset.Name}");
        using (var trainer = new Trainer(model, train.Train, options, selection, validation.Validation))
        {
            await context.EventAsync("selection", $"training {trained.Count} of {oldHashes.Count} modules: {selection}",
                new { trained = trained.Order().ToList(), trainer.Trainable.TrainableElements, trainer.Trainable.FrozenElements }, ct);
            await TrainingLoop.RunAsync(context, trainer, validation, options.SequenceLength, TrainingParameters.CheckpointEvery(context, options.Steps), report, ct);
        }

        var after = JobData.Evaluate(model, validation, options.SequenceLength, options.EvalTokens, null, ct);
        var stateDict = model.state_dict();
        var newHashes = ModuleHashes.Of(config, stateDict);
        var frozenChanged = oldHashes.Keys.Where(k => !trained.Contains(k) && newHashes[k] != oldHashes[k]).ToList();
        if (frozenChanged.Count > 0) throw new InvalidOperationException($"frozen modules changed during training: {string.Join(", ", frozenChanged)}");
        var changed = trained.Where(k => newHashes[k] != oldHashes[k]).ToHashSet();
        await context.ThrowIfCancelRequestedAsync(ct);

        double weight = options.LoadConcentrationWeight;
        var outcome = new FinetuneOutcome(validation.Dataset.Name, before, after, weight);
        var registered = await FinetuneRegistration.RegisterAsync(catalog, assemblies, assembly, config, stateDict, changed,
            Provenance.Job(context.Job.Id.ToString(), train.Dataset.Id.ToString()), context.Parameter("name", assembly.Summary.Name),
            $"finetune job {context.Job.Id}: {selection} on {train.Dataset.Name}, load concentration {weight}",
            JsonSerializer.SerializeToElement(outcome.Evaluation()), context.Actor, ct);
        var created = registered.Assembly.Summary;

        report.Line($"Trained {trained.Count} of {oldHashes.Count} modules ({selection}) on **{train.Dataset.Name}** " +
                    $"with load-concentration weight {weight}; {changed.Count} changed and were registered as new versions.");
        report.Line($"{oldHashes.Count - trained.Count} frozen modules verified unchanged by sha256.");
        outcome.WriteTo(report);
        report.Line($"Registered {created.Name}@{created.Version} (draft), based on {baseLabel}.");
        var result = new
        {
            assembly = new { created.Name, created.Version, created.ManifestHash, stage = "draft" },
            baseAssembly = baseLabel, selection = selection.Description, loadConcentrationWeight = weight,
            modules = new
            {
                trained = trained.Order().ToList(), changed = registered.NewVersions.Select(n => n.Module).Order().ToList(),
                frozenVerified = oldHashes.Count - trained.Count,
            },
            moduleVersions = registered.NewVersions.Select(n => n.Id),
            validation = outcome.Evaluation(), trainingTokensPerSecond = context.Job.TokensPerSecond, report = "report.md",
        };
        report.Set("result", result);
        await report.SaveAsync(context, ct);
        await context.SetResultAsync(result, ct);
    }
}
