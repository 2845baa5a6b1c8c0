using Microsoft.Extensions.Options;

namespace ModuleService.Api.Usage;

/// <summary>
/// Flushes expert usage every <see cref="UsageOptions.FlushInterval"/>, and once more when the host has stopped
/// everything else: <see cref="StoppedAsync"/> runs after the web server has drained its requests (so their usage
/// is counted) and before ApplicationStopped, when an embedded PostgreSQL is shut down.
/// </summary>
public sealed class UsageFlushService(UsageFlusher flusher, IOptions<UsageOptions> options, TimeProvider time,
    ILogger<UsageFlushService> logger) : BackgroundService, IHostedLifecycleService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Never throws: a failed flush keeps its counts for the next one, and must not stop the host.</summary>
    async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            var result = await flusher.FlushAsync(ct);
            if (result.Recorded.Count > 0)
                logger.LogDebug("Flushed expert usage: {Rows} rows for {Models} models", result.Recorded.Sum(r => r.Rows), result.Recorded.Count);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogWarning("Expert usage flush cancelled; unwritten counts are lost if the process exits");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Expert usage flush failed");
        }
    }
}
