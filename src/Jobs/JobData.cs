using ModuleService.Model;
using ModuleService.Model.Architecture;
using ModuleService.Model.Tokenizers;
using ModuleService.Model.Training;
using ModuleService.Registry;
using ModuleService.Registry.Assemblies;
using ModuleService.Registry.Datasets;
using ModuleService.Registry.Modules;
using static TorchSharp.torch;

namespace ModuleService.Jobs;

/// <summary>A dataset tokenized for one model: the train and validation streams (split by document).</summary>
public sealed record TokenizedDataset(DatasetView Dataset, int[] Train, int[] Validation, long ValidationBytes, long TrainBytes);

/// <summary>Loading what jobs train and evaluate on: assemblies as models, datasets as token streams.</summary>
public sealed class JobData(AssemblyService assemblies, ModuleCatalog catalog, DatasetStore datasets)
{
    public const double ValidationFraction = 0.1;
    public const long SplitSeed = 20231;

    public async Task<(AssemblyDetail Assembly, ModuleFormerForCausalLM Model, ITextTokenizer Tokenizer)> LoadAssemblyAsync(string reference, CancellationToken ct)
    {
        var assembly = await assemblies.GetAsync(AssemblyRef.Parse(reference), ct);
        var model = await assemblies.BuildModelAsync(assembly.Summary.Id, ScalarType.Float32, ct);
        try { return (assembly, model, await TokenizerAsync(assembly.Summary.FamilyId, model.Config, ct)); }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public async Task<ITextTokenizer> TokenizerAsync(Guid familyId, ModuleFormerConfig config, CancellationToken ct)
    {
        var family = await catalog.GetFamilyAsync(familyId.ToString(), ct);
        return CheckpointTokenizers.For(config, CheckpointTokenizers.TokenizerFiles.Any(family.TokenizerFiles.ContainsKey));
    }

    /// <summary>Documents joined by end-of-text; a document's side (train/validation) depends only on its index.</summary>
    public async Task<TokenizedDataset> TokenizeAsync(string dataset, ITextTokenizer tokenizer, CancellationToken ct)
    {
        var view = await datasets.GetAsync(dataset, ct);
        var train = new List<IReadOnlyList<int>>();
        var validation = new List<IReadOnlyList<int>>();
        long validationBytes = 0, trainBytes = 0, index = 0;
        await foreach (var document in datasets.ReadDocumentsAsync(view.Id, ct))
        {
            var ids = tokenizer.Encode(document);
            long bytes = System.Text.Encoding.UTF8.GetByteCount(document);
            if (DatasetStore.Split(index++, ValidationFraction, SplitSeed) == DatasetSplit.Validation) { validation.Add(ids); validationBytes += bytes; }
            else { train.Add(ids); trainBytes += bytes; }
        }
        // A tiny dataset may put every document on one side; then both sides share it rather than fail.
        if (validation.Count == 0) validation = train;
        if (train.Count == 0) train = validation;
        int eot = Math.Max(tokenizer.EndOfTextId, 0);
        return new TokenizedDataset(view, TokenBatcher.Concatenate(train, eot), TokenBatcher.Concatenate(validation, eot), validationBytes, trainBytes);
    }

    /// <summary>Perplexity and usage on a dataset's validation split.</summary>
    public static EvaluationResult Evaluate(ModuleFormerForCausalLM model, TokenizedDataset data, int sequenceLength, long maxTokens,
        ExpertMask? mask, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        long covered = EvaluationWindows.CoveredTokens(data.Validation.Length, maxTokens);
        long bytes = data.Validation.Length == 0 ? 0 : (long)(data.ValidationBytes * (double)covered / data.Validation.Length);
        return Evaluator.Evaluate(model, data.Validation, sequenceLength, 8, maxTokens, bytes, mask, ct);
    }
}
