using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Checkpoints;
using ModuleService.Model.Tokenizers;
using ModuleService.Model.Training;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Imports;

namespace ModuleService.Jobs;

/// <summary>
/// <c>pretrain</c>: a new model from a config (with <c>modsvc_tokenizer</c>, e.g. <c>tiny-k1024</c>) trained from
/// scratch on a dataset, then imported into the registry as assembly <c>name</c>.
/// </summary>
public sealed class PretrainJob(JobData data, CheckpointImporter importer) : IJobHandler
{
    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        if (!AssemblyNames.IsValid(JobParameters.RequireString(p, "name"))) throw new JobParameterException("name", AssemblyNames.Rule);
        await services.GetRequiredService<DatasetStore>().GetAsync(JobParameters.RequireString(p, "dataset"), ct);
        var config = Config(p);
        if (config.Tokenizer is null) throw new JobParameterException("config.modsvc_tokenizer", $"name the tokenizer: {string.Join(", ", TokenizerCatalog.Names)}");
        try { CheckpointTokenizers.For(config, false); }
        catch (ArgumentException e) { throw new JobParameterException("config.modsvc_tokenizer", e.Message); }
        JobParameters.CheckTraining(p);
    }

    static ModuleFormerConfig Config(JsonElement p)
    {
        if (!p.TryGetProperty("config", out var c) || c.ValueKind != JsonValueKind.Object)
            throw new JobParameterException("config", "a ModuleFormer config.json object is required");
        try { return ModuleFormerConfig.FromJson(c.GetRawText(), "config"); }
        catch (ModuleFormerConfigException e) { throw new JobParameterException($"config.{e.Field}", e.Message); }
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var config = Config(context.Parameters);
        var tokenizer = CheckpointTokenizers.For(config, false);
        var options = TrainingParameters.Read(context, defaultLearningRate: 3e-3);
        var dataset = await data.TokenizeAsync(context.Parameter("dataset", ""), tokenizer, ct);
        using var model = new ModuleFormerForCausalLM(config);
        model.InitializeWeights(options.Seed);
        var report = new JobReport($"Pretrain {context.Parameter("name", "")} on {dataset.Dataset.Name}");
        using (var trainer = new Trainer(model, dataset.Train, options, null, dataset.Validation))
            await TrainingLoop.RunAsync(context, trainer, dataset, options.SequenceLength, TrainingParameters.CheckpointEvery(context, options.Steps), report, ct);
        var evaluation = JobData.Evaluate(model, dataset, options.SequenceLength, options.EvalTokens, null, ct);
        await context.ThrowIfCancelRequestedAsync(ct);

        var folder = Directory.CreateTempSubdirectory("modsvc-pretrain-");
        try
        {
            ModelCheckpoint.Save(model, folder.FullName);
            var imported = await importer.ImportFolderAsync(folder.FullName, context.Parameter("name", ""), context.Actor, ct);
            report.Line($"Validation perplexity {evaluation.Perplexity:F3}, bits per byte {evaluation.BitsPerByte:F4}; {options.Steps * options.BatchSize * options.SequenceLength:N0} tokens seen.");
            report.Line($"Registered {imported.Name}@{imported.Version}.");
            report.UsageHeatmap("usage.png", $"MLP expert usage on {dataset.Dataset.Name}", evaluation.Usage);
            var result = new { assembly = new { imported.Name, imported.Version, imported.ManifestHash }, perplexity = evaluation.Perplexity, evaluation.BitsPerByte, report = "report.md" };
            report.Set("result", result);
            await report.SaveAsync(context, ct);
            await context.SetResultAsync(result, ct);
        }
        finally { folder.Delete(recursive: true); }
    }
}
