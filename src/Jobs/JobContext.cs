using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Jobs;
using ModuleService.Registry.Storage;

namespace ModuleService.Jobs;

/// <summary>
/// What a running handler sees: its parameters, progress reporting (throttled writes of the job row plus events),
/// cancellation that reaches the training loop within a step, checkpoints and artifacts in the blob store.
/// </summary>
public sealed class JobContext(JobRun job, RegistryDbContext db, BlobStore blobs, TimeProvider time, IServiceProvider services)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly Stopwatch sinceWrite = Stopwatch.StartNew();
    readonly Stopwatch sinceCancelCheck = Stopwatch.StartNew();

    public JobRun Job => job;
    public JsonElement Parameters { get; } = JsonDocument.Parse(job.Parameters).RootElement.Clone();
    public IServiceProvider Services => services;
    public string Actor => $"job {job.Id} ({job.CreatedBy})";

    public T Parameter<T>(string name, T fallback) =>
        Parameters.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Deserialize<T>(Json)! : fallback;

    /// <summary>Step progress; the row is written at most every two seconds (and always at the last step).</summary>
    public async Task ProgressAsync(long step, long total, double? tokensPerSecond, double? trainLoss, double? validationLoss, CancellationToken ct)
    {
        (job.Step, job.TotalSteps) = (step, total);
        if (tokensPerSecond is not null) job.TokensPerSecond = tokensPerSecond;
        if (trainLoss is not null) job.TrainLoss = trainLoss;
        if (validationLoss is not null) job.ValidationLoss = validationLoss;
        var elapsed = job.StartedAt is { } started ? (time.GetUtcNow() - started).TotalSeconds : 0;
        job.EtaSeconds = step > 0 && total > step ? elapsed / step * (total - step) : 0;
        if (sinceWrite.Elapsed < TimeSpan.FromSeconds(2) && step < total) return;
        sinceWrite.Restart();
        await db.SaveChangesAsync(ct);
    }

    public async Task EventAsync(string kind, string message, object? data, CancellationToken ct)
    {
        db.Add(new JobEvent { JobId = job.Id, At = time.GetUtcNow(), Kind = kind, Message = message, Data = data is null ? null : JsonSerializer.Serialize(data, Json) });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once a cancel was requested (checked at most once a second).</summary>
    public async Task ThrowIfCancelRequestedAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (sinceCancelCheck.Elapsed < TimeSpan.FromSeconds(1)) return;
        sinceCancelCheck.Restart();
        var requested = await db.Set<JobRun>().AsNoTracking().Where(j => j.Id == job.Id).Select(j => j.CancelRequestedAt).SingleAsync(ct);
        if (requested is not null) throw new JobCancelledException();
    }

    public async Task SaveCheckpointAsync(long step, Stream state, CancellationToken ct)
    {
        var blob = await blobs.PutAsync(state, ct);
        db.Add(new JobCheckpoint { JobId = job.Id, Step = step, BlobSha256 = blob.Sha256, CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(ct);
        await EventAsync("checkpoint", $"checkpoint at step {step}", new { step, sha256 = blob.Sha256 }, ct);
    }

    /// <summary>The newest checkpoint of this job, or null on a first run.</summary>
    public async Task<(long Step, Stream State)?> LatestCheckpointAsync(CancellationToken ct)
    {
        var latest = await db.Set<JobCheckpoint>().AsNoTracking().Where(c => c.JobId == job.Id).OrderByDescending(c => c.Step).FirstOrDefaultAsync(ct);
        return latest is null ? null : (latest.Step, await blobs.OpenReadAsync(latest.BlobSha256, ct));
    }

    public async Task AddArtifactAsync(string name, string contentType, byte[] content, CancellationToken ct)
    {
        var blob = await blobs.PutAsync(content, ct);
        if (!await db.Set<JobArtifact>().AnyAsync(a => a.JobId == job.Id && a.Name == name, ct))
            db.Add(new JobArtifact { JobId = job.Id, Name = name, ContentType = contentType, BlobSha256 = blob.Sha256, Size = content.Length, CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Records what the job made (merged into the row's artifacts JSON).</summary>
    public async Task SetResultAsync(object result, CancellationToken ct)
    {
        job.Artifacts = JsonSerializer.Serialize(result, Json);
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>A user asked to cancel the job; the runner records it as cancelled and registers nothing.</summary>
public sealed class JobCancelledException() : OperationCanceledException("the job was cancelled");
