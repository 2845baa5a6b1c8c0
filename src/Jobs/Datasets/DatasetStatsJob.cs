using System.Text.Json;
using ModuleService.Model.Tokenizers;
using ModuleService.Registry.Datasets;

namespace ModuleService.Jobs.Datasets;

/// <summary>
/// <c>dataset-stats</c>: counts a dataset's tokens under each catalog tokenizer (or those named in <c>tokenizers</c>)
/// in one pass over its documents and records them, so <c>GET /v1/datasets/{id}</c> shows them. Documents and bytes
/// are counted at upload already. A token count is the sum of each document's encoding; the end-of-text separators
/// that training streams put between documents are not counted.
/// </summary>
public sealed class DatasetStatsJob(DatasetStore datasets) : IJobHandler
{
    public const string Name = "dataset-stats";

    public async Task ValidateAsync(JsonElement p, IServiceProvider services, CancellationToken ct)
    {
        await datasets.GetAsync(JobParameters.RequireString(p, "dataset"), ct);
        Tokenizers(JobParameters.StringList(p, "tokenizers"));
    }

    static List<ITextTokenizer> Tokenizers(IReadOnlyList<string> names)
    {
        try
        {
            return (names.Count == 0 ? TokenizerCatalog.Names : names).Select(TokenizerCatalog.Create).DistinctBy(t => t.Name).ToList();
        }
        catch (ArgumentException e) { throw new JobParameterException("tokenizers", e.Message); }
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(context.Parameter("dataset", ""), ct);
        var tokenizers = Tokenizers(context.Parameter<List<string>>("tokenizers", []));
        var tokens = new long[tokenizers.Count];
        long documents = 0;
        await foreach (var document in datasets.ReadDocumentsAsync(dataset.Id, ct))
        {
            await context.ThrowIfCancelRequestedAsync(ct);
            for (int i = 0; i < tokenizers.Count; i++) tokens[i] += tokenizers[i].Encode(document).Count;
            await context.ProgressAsync(++documents, Math.Max(dataset.Documents, documents), null, null, null, ct);
        }

        var counts = new List<object>();
        for (int i = 0; i < tokenizers.Count; i++)
        {
            var recorded = await datasets.RecordStatisticAsync(dataset.Id, tokenizers[i].Name, tokens[i], context.Job.Id, context.Actor, ct);
            counts.Add(new { recorded.Tokenizer, recorded.Tokens, bytesPerToken = tokens[i] == 0 ? (double?)null : (double)dataset.Bytes / tokens[i] });
        }
        await context.EventAsync("statistics", $"{dataset.Name}: {documents} documents, " +
            string.Join(", ", tokenizers.Select((t, i) => $"{tokens[i]} {t.Name} tokens")), counts, ct);
        await context.SetResultAsync(new { dataset = new { dataset.Id, dataset.Name }, documents, dataset.Bytes, tokens = counts }, ct);
    }
}
