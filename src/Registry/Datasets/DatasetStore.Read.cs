using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Stages;

namespace ModuleService.Registry.Datasets;

public sealed partial class DatasetStore
{
    /// <summary>Datasets with their current stage (the latest stage event).</summary>
    IQueryable<DatasetRow> Rows => db.Datasets.AsNoTracking().Select(d => new DatasetRow
    {
        Dataset = d,
        Stage = db.StageEvents.Where(e => e.TargetType == TargetType.Dataset && e.TargetId == d.Id)
            .OrderByDescending(e => e.Id).Select(e => e.Stage).FirstOrDefault(),
    });

    /// <summary>By id, or by name when <paramref name="idOrName"/> is not a Guid (names never are).</summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    public async Task<DatasetView> GetAsync(string idOrName, CancellationToken ct) => await ViewAsync(await ResolveAsync(idOrName, ct), ct);

    public Task<DatasetView> GetAsync(Guid id, CancellationToken ct) => GetAsync(id.ToString(), ct);

    /// <summary>Newest first.</summary>
    public async Task<Page<DatasetView>> ListAsync(DatasetQuery? query, PageRequest? page, CancellationToken ct)
    {
        query ??= new();
        var rows = Rows;
        if (query.Name is { } name) rows = rows.Where(r => r.Dataset.Name == name);
        if (query.Format is { } format) rows = rows.Where(r => r.Dataset.Format == format);
        if (query.Stage is { } stage) rows = rows.Where(r => r.Stage == stage);
        else if (!query.IncludeArchived) rows = rows.Where(r => r.Stage != Stage.Archived);
        var found = await rows.OrderByDescending(r => r.Dataset.CreatedAt).ThenByDescending(r => r.Dataset.Id)
            .ToPageAsync(page ?? new(), r => r, ct);
        var tokens = await TokensAsync([.. found.Items.Select(r => r.Dataset.Id)], ct);
        return new Page<DatasetView>([.. found.Items.Select(r => View(r.Dataset, r.Stage, tokens.GetValueOrDefault(r.Dataset.Id, [])))],
            found.Total, found.Offset, found.Limit);
    }

    /// <summary>The stored (decompressed, validated) content, verified against its sha256 as it is opened.</summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    public async Task<Stream> OpenReadAsync(Guid id, CancellationToken ct)
    {
        var sha = await db.Datasets.Where(d => d.Id == id).Select(d => d.Sha256).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("dataset", id.ToString());
        return await blobs.OpenReadAsync(sha, $"dataset {id}", ct);
    }

    /// <summary>
    /// The documents in stored order, one in memory at a time; a document's position in this sequence is the index
    /// <see cref="Split"/> takes. Text documents come back with their lines joined by <c>\n</c>.
    /// </summary>
    public async IAsyncEnumerable<string> ReadDocumentsAsync(Guid id, [EnumeratorCancellation] CancellationToken ct)
    {
        var format = await db.Datasets.Where(d => d.Id == id).Select(d => (DatasetFormat?)d.Format).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("dataset", id.ToString());
        await using var content = await OpenReadAsync(id, ct);
        // No size limit on reading: the content met the limit in force when it was uploaded.
        var parser = new DatasetParser(format, Array.MaxLength, collect: true);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await content.ReadAsync(buffer, ct)) > 0)
        {
            parser.Feed(buffer.AsSpan(0, read));
            foreach (var document in parser.TakeCompleted()) yield return document;
        }
        parser.Finish();
        foreach (var document in parser.TakeCompleted()) yield return document;
    }

    /// <summary>Deleting is archiving: the dataset is hidden from default listings, and stays readable and restorable.</summary>
    public async Task<StageChange> ArchiveAsync(string idOrName, string actor, string? reason, CancellationToken ct) =>
        await stages.ArchiveAsync(TargetType.Dataset, (await ResolveAsync(idOrName, ct)).Dataset.Id, actor, reason, ct);

    public async Task<StageChange> RestoreAsync(string idOrName, string actor, string? reason, CancellationToken ct) =>
        await stages.RestoreAsync(TargetType.Dataset, (await ResolveAsync(idOrName, ct)).Dataset.Id, actor, reason, ct);

    /// <summary>Appends a token count (a recount adds a row; the latest per tokenizer is shown).</summary>
    public async Task<DatasetTokenCount> RecordStatisticAsync(Guid datasetId, string tokenizer, long tokens, Guid? jobId,
        string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        if (string.IsNullOrWhiteSpace(tokenizer) || tokenizer.Length > 200)
            throw new InvalidModuleOperationException("tokenizer", "must be 1-200 characters");
        if (tokens < 0) throw new InvalidModuleOperationException("tokens", $"must not be negative, got {tokens}");
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct)) throw new NotFoundException("dataset", datasetId.ToString());
        var row = new DatasetStatistic { DatasetId = datasetId, Tokenizer = tokenizer, Tokens = tokens, ComputedAt = time.GetUtcNow(), JobId = jobId };
        db.DatasetStatistics.Add(row);
        audit.Append(actor, "dataset.statistic", TargetType.Dataset, datasetId, new { tokenizer, tokens, jobId });
        await db.SaveChangesAsync(ct);
        return new DatasetTokenCount(row.Tokenizer, row.Tokens, row.ComputedAt, row.JobId);
    }

    async Task<DatasetRow> ResolveAsync(string idOrName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(idOrName);
        var row = Guid.TryParse(idOrName, out var id)
            ? await Rows.SingleOrDefaultAsync(r => r.Dataset.Id == id, ct)
            : await Rows.SingleOrDefaultAsync(r => r.Dataset.Name == idOrName, ct);
        return row ?? throw new NotFoundException("dataset", idOrName);
    }

    async Task<DatasetView?> FindAsync(string sha256, DatasetFormat format, CancellationToken ct) =>
        await Rows.SingleOrDefaultAsync(r => r.Dataset.Sha256 == sha256 && r.Dataset.Format == format, ct) is { } row
            ? await ViewAsync(row, ct)
            : null;

    async Task<DatasetView> ViewAsync(DatasetRow row, CancellationToken ct) =>
        View(row.Dataset, row.Stage, (await TokensAsync([row.Dataset.Id], ct)).GetValueOrDefault(row.Dataset.Id, []));

    /// <summary>Latest count per tokenizer of each dataset (rows are few: one per tokenizer and recount).</summary>
    async Task<Dictionary<Guid, IReadOnlyList<DatasetTokenCount>>> TokensAsync(List<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var rows = await db.DatasetStatistics.AsNoTracking().Where(s => ids.Contains(s.DatasetId))
            .OrderByDescending(s => s.Id).ToListAsync(ct);
        return rows.GroupBy(s => s.DatasetId).ToDictionary(g => g.Key, g => (IReadOnlyList<DatasetTokenCount>)
            [.. g.DistinctBy(s => s.Tokenizer).OrderBy(s => s.Tokenizer, StringComparer.Ordinal)
                .Select(s => new DatasetTokenCount(s.Tokenizer, s.Tokens, s.ComputedAt, s.JobId))]);
    }

    static DatasetView View(Dataset d, Stage stage, IReadOnlyList<DatasetTokenCount> tokens) =>
        new(d.Id, d.Name, d.Format, d.Sha256, d.Bytes, d.Documents, stage, d.CreatedAt, d.CreatedBy, tokens);
}

sealed class DatasetRow
{
    public required Dataset Dataset { get; init; }
    public Stage Stage { get; init; }
}
