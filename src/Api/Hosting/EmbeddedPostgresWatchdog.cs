using Microsoft.Extensions.Options;
using ModuleService.Registry.Hosting;

namespace ModuleService.Api.Hosting;

/// <summary>
/// Keeps the embedded PostgreSQL up: the app started it, so nothing else (systemd, a container runtime) would notice
/// that it died. Every <see cref="ModuleServiceOptions.EmbeddedPostgresWatchInterval"/> the postmaster is checked;
/// a dead one is started again on the same port and data directory, and requests meanwhile answer 503.
/// </summary>
public sealed class EmbeddedPostgresWatchdog(IOptions<ModuleServiceOptions> options, ILogger<EmbeddedPostgresWatchdog> logger) : BackgroundService
{
    PostgresCluster? cluster;

    /// <summary>Called once the embedded cluster runs; without it (an external server) the watchdog does nothing.</summary>
    public void Watch(PostgresCluster embedded) => cluster = embedded;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (cluster is null) return;
        using var timer = new PeriodicTimer(options.Value.EmbeddedPostgresWatchInterval);
        DateTime? downSince = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (cluster.IsServerAlive() || !cluster.IsRunning) continue;
            downSince ??= DateTime.UtcNow;
            logger.LogWarning("Embedded PostgreSQL in {DataDirectory} is not running; starting it again on port {Port}", cluster.DataDirectory, cluster.Port);
            try
            {
                await cluster.RestartAfterCrashAsync(stoppingToken);
                DatabaseOutage.ForgetPooledConnections();
                logger.LogWarning("Embedded PostgreSQL restarted on port {Port}, {Seconds:F1} s after it was found down",
                    cluster.Port, (DateTime.UtcNow - downSince.Value).TotalSeconds);
                downSince = null;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Typically the dead server's children still hold its shared memory; they leave within moments.
                logger.LogWarning("Embedded PostgreSQL did not start yet ({Message}); trying again in {Interval}",
                    e.Message.Split('\n')[0], options.Value.EmbeddedPostgresWatchInterval);
            }
        }
    }
}
