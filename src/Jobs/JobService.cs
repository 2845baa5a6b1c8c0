using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry;
using ModuleService.Registry.Data;
using ModuleService.Registry.Jobs;

namespace ModuleService.Jobs;

public sealed record JobView(Guid Id, string Type, JobStatus Status, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JobProgress Progress, double? TrainLoss, double? ValidationLoss,
    string? Error, JsonElement Parameters, JsonElement Artifacts, IReadOnlyList<string> Files, int Attempts);

public sealed record JobProgress(long Step, long Total, double? TokensPerSecond, double? EtaSeconds);

public sealed record JobEventView(long Id, DateTimeOffset At, string Kind, string Message, JsonElement? Data);

/// <summary>Submits, lists and cancels jobs. Status comes from our job_runs table, not from Hangfire.</summary>
public sealed class JobService(RegistryDbContext db, JobCatalog catalog, IBackgroundJobClient hangfire, IServiceProvider services, TimeProvider time)
{
    public async Task<JobView> SubmitAsync(string type, JsonElement parameters, string actor, CancellationToken ct)
    {
        var jobType = catalog.Get(type);
        var handler = (IJobHandler)services.GetRequiredService(jobType.Handler);
        await handler.ValidateAsync(parameters, services, ct);
        var job = new JobRun { Id = Guid.NewGuid(), Type = type, Parameters = parameters.GetRawText(), Status = JobStatus.Queued,
            CreatedAt = time.GetUtcNow(), CreatedBy = actor };
        db.Add(job);
        db.Add(new JobEvent { JobId = job.Id, At = job.CreatedAt, Kind = "queued", Message = $"{type} queued by {actor}" });
        await db.SaveChangesAsync(ct);
        // The answer is the job as accepted: read back after enqueueing, a quick job could already be running or done.
        var accepted = await GetAsync(job.Id, ct);
        job.HangfireJobId = jobType.Trains
            ? hangfire.Enqueue<TrainingQueueRunner>(r => r.RunAsync(job.Id, CancellationToken.None))
            : hangfire.Enqueue<LightQueueRunner>(r => r.RunAsync(job.Id, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        return accepted;
    }

    public async Task<JobView> GetAsync(Guid id, CancellationToken ct)
    {
        var job = await db.Set<JobRun>().AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, ct) ?? throw new NotFoundException("job", id.ToString());
        var files = await db.Set<JobArtifact>().Where(a => a.JobId == id).OrderBy(a => a.Name).Select(a => a.Name).ToListAsync(ct);
        return View(job, files);
    }

    public async Task<Page<JobView>> ListAsync(string? type, JobStatus? status, PageRequest page, CancellationToken ct)
    {
        page.Validate();
        var query = db.Set<JobRun>().AsNoTracking().AsQueryable();
        if (type is not null) query = query.Where(j => j.Type == type);
        if (status is not null) query = query.Where(j => j.Status == status);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(j => j.CreatedAt).Skip(page.Offset).Take(page.Limit).ToListAsync(ct);
        return new Page<JobView>(rows.Select(j => View(j, [])).ToList(), total, page.Offset, page.Limit);
    }

    /// <summary>Queued jobs end at once; running ones see the request within a training step.</summary>
    public async Task<JobView> CancelAsync(Guid id, string actor, CancellationToken ct)
    {
        var job = await db.Set<JobRun>().SingleOrDefaultAsync(j => j.Id == id, ct) ?? throw new NotFoundException("job", id.ToString());
        if (job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled)
            throw new ConflictException($"job {id} already ended ({job.Status.ToString().ToLowerInvariant()})");
        job.CancelRequestedAt ??= time.GetUtcNow();
        job.Status = job.Status == JobStatus.Queued ? JobStatus.Cancelled : JobStatus.Cancelling;
        if (job.Status == JobStatus.Cancelled) job.FinishedAt = time.GetUtcNow();
        db.Add(new JobEvent { JobId = id, At = time.GetUtcNow(), Kind = "cancel", Message = $"cancel requested by {actor}" });
        await db.SaveChangesAsync(ct);
        if (job.Status == JobStatus.Cancelled && job.HangfireJobId is not null) hangfire.Delete(job.HangfireJobId);
        return await GetAsync(id, ct);
    }

    public async Task<IReadOnlyList<JobEventView>> EventsAsync(Guid id, long after, int limit, CancellationToken ct)
    {
        if (!await db.Set<JobRun>().AnyAsync(j => j.Id == id, ct)) throw new NotFoundException("job", id.ToString());
        var rows = await db.Set<JobEvent>().AsNoTracking().Where(e => e.JobId == id && e.Id > after).OrderBy(e => e.Id)
            .Take(Math.Clamp(limit, 1, 1000)).ToListAsync(ct);
        return rows.Select(e => new JobEventView(e.Id, e.At, e.Kind, e.Message, e.Data is null ? null : JsonDocument.Parse(e.Data).RootElement.Clone())).ToList();
    }

    public async Task<(JobArtifact Artifact, Stream Content)> OpenArtifactAsync(Guid id, string name, BlobStoreOpener open, CancellationToken ct)
    {
        var artifact = await db.Set<JobArtifact>().AsNoTracking().SingleOrDefaultAsync(a => a.JobId == id && a.Name == name, ct)
            ?? throw new NotFoundException("job file", $"{id}/{name}");
        return (artifact, await open(artifact.BlobSha256, ct));
    }

    static JobView View(JobRun j, IReadOnlyList<string> files) => new(j.Id, j.Type, j.Status, j.CreatedAt, j.CreatedBy, j.StartedAt, j.FinishedAt,
        new JobProgress(j.Step, j.TotalSteps, j.TokensPerSecond, j.EtaSeconds), j.TrainLoss, j.ValidationLoss, j.Error,
        JsonDocument.Parse(j.Parameters).RootElement.Clone(), JsonDocument.Parse(j.Artifacts).RootElement.Clone(), files, j.Attempts);
}

public delegate Task<Stream> BlobStoreOpener(string sha256, CancellationToken ct);
