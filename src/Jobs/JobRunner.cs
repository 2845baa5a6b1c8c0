using Microsoft.Extensions.DependencyInjection;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using ModuleService.Registry.Data;
using ModuleService.Registry.Hosting;
using ModuleService.Registry.Jobs;
using ModuleService.Registry.Storage;

namespace ModuleService.Jobs;

/// <summary>
/// Runs one job row. Reentrant: a finished job is skipped; a job whose worker died (Hangfire hands it to another
/// worker) starts again and its handler resumes from its last checkpoint. Failed runs are not retried blindly. A
/// <see cref="JobLease"/> keeps a job from running on two workers at once. When PostgreSQL goes away mid-run the
/// job is not failed: the runner waits for the server and runs it again, resuming from its last checkpoint.
/// </summary>
public abstract class JobRunner(IServiceScopeFactory scopes, JobCatalog catalog, TimeProvider time, ILogger logger)
{
    /// <summary>A database that "returns" and fails again this often is broken, not restarting: the run is left to Hangfire.</summary>
    const int MaxOutages = 5;

    protected async Task ExecuteAsync(Guid jobId, CancellationToken ct)
    {
        for (var outages = 0; ; outages++)
        {
            // A scope per attempt: after an outage the old DbContext holds unsaved changes and broken connections.
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RegistryDbContext>();
            try
            {
                await RunOnceAsync(jobId, db, scope.ServiceProvider, ct);
                return;
            }
            catch (Exception e) when (DatabaseOutage.Is(e) && outages < MaxOutages && !ct.IsCancellationRequested)
            {
                // The lease went with the old server's session; the next attempt takes it again (or finds another worker has).
                logger.LogWarning("Job {JobId}: the database went away ({Message}); waiting for it, then resuming from the last checkpoint",
                    jobId, e.GetBaseException().Message);
                await DatabaseOutage.WaitUntilReachableAsync(db.Database.GetConnectionString()!, ct);
            }
        }
    }

    async Task RunOnceAsync(Guid jobId, RegistryDbContext db, IServiceProvider services, CancellationToken ct)
    {
        await using var lease = await JobLease.TryAcquireAsync(db.Database.GetConnectionString()!, jobId, ct);
        if (lease is null)
        {
            // Hangfire handed out a job that a live worker still runs (its claim lapsed while it was busy): leave it be.
            logger.LogWarning("Job {JobId} is running on another worker; this copy ends without running it", jobId);
            await NoteDuplicateAsync(jobId, db, ct);
            return;
        }
        var job = await db.Set<JobRun>().SingleOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null || job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled) return;
        var context = new JobContext(job, db, services.GetRequiredService<BlobStore>(), time, services);
        if (job.CancelRequestedAt is not null) { await EndAsync(context, JobStatus.Cancelled, null, ct); return; }

        job.Status = JobStatus.Running;
        job.StartedAt ??= time.GetUtcNow();
        job.Attempts++;
        job.Worker = Environment.MachineName;
        await context.EventAsync("started", job.Attempts == 1 ? $"started on {job.Worker}" : $"resumed on {job.Worker} (attempt {job.Attempts})", null, ct);
        try
        {
            var handler = (IJobHandler)services.GetRequiredService(catalog.Get(job.Type).Handler);
            await handler.RunAsync(context, ct);
            await EndAsync(context, JobStatus.Succeeded, null, CancellationToken.None);
        }
        catch (JobCancelledException)
        {
            await EndAsync(context, JobStatus.Cancelled, null, CancellationToken.None);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The server is shutting down: leave the job running so the next worker resumes it.
            logger.LogWarning("Job {JobId} interrupted by shutdown; it resumes on the next worker", jobId);
            throw;
        }
        catch (Exception e) when (!DatabaseOutage.Is(e))
        {
            logger.LogError(e, "Job {JobId} ({Type}) failed", jobId, job.Type);
            await EndAsync(context, JobStatus.Failed, e is JobParameterException p ? $"{p.Field}: {p.Message}" : e.Message, CancellationToken.None);
        }
    }

    /// <summary>Says in the job's own log that a second copy was turned away, so two Hangfire entries for one job are explained.</summary>
    async Task NoteDuplicateAsync(Guid jobId, RegistryDbContext db, CancellationToken ct)
    {
        if (!await db.Set<JobRun>().AnyAsync(j => j.Id == jobId, ct)) return;
        db.Add(new JobEvent { JobId = jobId, At = time.GetUtcNow(), Kind = "duplicate",
            Message = $"a second copy on {Environment.MachineName} found the job running on another worker and did not run it" });
        await db.SaveChangesAsync(ct);
    }

    async Task EndAsync(JobContext context, JobStatus status, string? error, CancellationToken ct)
    {
        var job = context.Job;
        (job.Status, job.Error, job.FinishedAt) = (status, error, time.GetUtcNow());
        await context.EventAsync(status.ToString().ToLowerInvariant(), error ?? $"job {status.ToString().ToLowerInvariant()}", null, ct);
    }
}

/// <summary>Heavy training work: its own queue, so GPU nodes can take only these.</summary>
[Queue(JobCatalog.TrainingQueue)]
public sealed class TrainingQueueRunner(IServiceScopeFactory scopes, JobCatalog catalog, TimeProvider time, ILogger<TrainingQueueRunner> logger)
    : JobRunner(scopes, catalog, time, logger)
{
    [Queue(JobCatalog.TrainingQueue), AutomaticRetry(Attempts = 0)]
    [JobDisplayName("training job {0}")]
    public Task RunAsync(Guid jobId, CancellationToken ct) => ExecuteAsync(jobId, ct);
}

[Queue(JobCatalog.LightQueue)]
public sealed class LightQueueRunner(IServiceScopeFactory scopes, JobCatalog catalog, TimeProvider time, ILogger<LightQueueRunner> logger)
    : JobRunner(scopes, catalog, time, logger)
{
    [Queue(JobCatalog.LightQueue), AutomaticRetry(Attempts = 0)]
    [JobDisplayName("job {0}")]
    public Task RunAsync(Guid jobId, CancellationToken ct) => ExecuteAsync(jobId, ct);
}
