namespace ModuleService.Registry.Jobs;

public enum JobStatus { Queued, Running, Succeeded, Failed, Cancelling, Cancelled }

/// <summary>
/// One job and its live state. Unlike registry records this row is operational and does change (status,
/// progress); its history is the append-only <see cref="JobEvent"/> log.
/// </summary>
public sealed class JobRun
{
    public Guid Id { get; init; }
    public required string Type { get; init; }
    /// <summary>The request's parameters (jsonb), as validated at submission.</summary>
    public required string Parameters { get; init; }
    public JobStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? CancelRequestedAt { get; set; }
    public long Step { get; set; }
    public long TotalSteps { get; set; }
    public double? TokensPerSecond { get; set; }
    public double? EtaSeconds { get; set; }
    public double? TrainLoss { get; set; }
    public double? ValidationLoss { get; set; }
    public string? Error { get; set; }
    /// <summary>What the job made (jsonb): module version ids, assembly, report files.</summary>
    public string Artifacts { get; set; } = "{}";
    public string? HangfireJobId { get; set; }
    /// <summary>How many times a worker started this job (more than one after a worker died and it resumed).</summary>
    public int Attempts { get; set; }
    public string? Worker { get; set; }
}

/// <summary>Append-only: started, progress, checkpoint, evaluation, finished, failed, cancelled, log.</summary>
public sealed class JobEvent
{
    public long Id { get; init; }
    public Guid JobId { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Kind { get; init; }
    public required string Message { get; init; }
    public string? Data { get; init; }
}

/// <summary>Append-only training checkpoints; a resumed job continues from the newest. Bytes live in the blob store.</summary>
public sealed class JobCheckpoint
{
    public long Id { get; init; }
    public Guid JobId { get; init; }
    public long Step { get; init; }
    public required string BlobSha256 { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A downloadable file a job produced (report markdown/JSON, PNG plots); bytes in the blob store.</summary>
public sealed class JobArtifact
{
    public long Id { get; init; }
    public Guid JobId { get; init; }
    public required string Name { get; init; }
    public required string ContentType { get; init; }
    public required string BlobSha256 { get; init; }
    public long Size { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
