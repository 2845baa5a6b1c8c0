namespace ModuleService.Registry.Data.Entities;

/// <summary>How an uploaded dataset's UTF-8 content splits into documents (see DatasetParser).</summary>
public enum DatasetFormat { Text, Jsonl }

/// <summary>
/// Training text: validated UTF-8 bytes stored once as a blob, plus the counts found while validating. Never
/// updated; the stage (active, archived) is a StageEvent and token counts are <see cref="DatasetStatistic"/> rows.
/// </summary>
public sealed class Dataset
{
    public Guid Id { get; init; }
    public required string Name { get; init; }
    public DatasetFormat Format { get; init; }
    /// <summary>The blob with the (decompressed) content.</summary>
    public required string Sha256 { get; init; }
    public long Bytes { get; init; }
    public long Documents { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}

/// <summary>
/// Tokens of a dataset under one tokenizer, computed by a job. Append-only: a recount adds a row and the latest
/// row (highest Id) per tokenizer is the current figure.
/// </summary>
public sealed class DatasetStatistic
{
    public long Id { get; init; }
    public Guid DatasetId { get; init; }
    public required string Tokenizer { get; init; }
    public long Tokens { get; init; }
    public DateTimeOffset ComputedAt { get; init; }
    /// <summary>The job run that counted, if any (no foreign key yet: job runs live in another table).</summary>
    public Guid? JobId { get; init; }
}
