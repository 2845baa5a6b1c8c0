using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Hosting;

namespace ModuleService.Api.Health;

public static class HealthApi
{
    /// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database is reachable and fully migrated.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok", null)))
            .WithName("Healthz").WithSummary("Liveness: the process is up.").WithTags("Health").AllowAnonymous();
        app.MapGet("/readyz", ReadyAsync)
            .WithName("Readyz").WithSummary("Readiness: database reachable and migrations applied.").WithTags("Health").AllowAnonymous();
        return app;
    }

    static async Task<IResult> ReadyAsync(RegistryDbContext db, CancellationToken ct)
    {
        try
        {
            if (!await db.Database.CanConnectAsync(ct)) return Unreachable("database unreachable");
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            return pending.Count == 0 ? TypedResults.Ok(new HealthStatus("ready", null)) : Unready($"pending migrations: {string.Join(", ", pending)}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DatabaseOutage.Is(e) ? Unreachable($"database unreachable: {e.GetBaseException().Message}") : Unready($"database error: {e.GetType().Name}");
        }
    }

    /// <summary>Load balancers probe this often, so it is what first sees a restarted server: drop the old server's connections.</summary>
    static IResult Unreachable(string reason)
    {
        DatabaseOutage.ForgetPooledConnections();
        return Unready(reason);
    }

    static IResult Unready(string reason) => TypedResults.Json(new HealthStatus("unready", reason), statusCode: StatusCodes.Status503ServiceUnavailable);
}

public sealed record HealthStatus(string Status, string? Reason);
