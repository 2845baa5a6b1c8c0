using Microsoft.AspNetCore.Http.HttpResults;
using ModuleService.Api.Infrastructure;
using ModuleService.Registry;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Audit;

/// <summary>The append-only audit log (admin).</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit", ListAsync).WithTags("Audit").RequireAuthorization(ApiScopes.Admin)
            .WithName("ListAudit").WithSummary("Every change: who, what, when; newest first, filtered by target, actor or action.");
        return app;
    }

    static async Task<Ok<Page<AuditEntryView>>> ListAsync(AuditLog audit, string? targetType, string? targetId, string? actor,
        string? action, DateTimeOffset? since, DateTimeOffset? until, int? offset, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await audit.ListAsync(new AuditQuery(QueryEnum.Parse<TargetType>(targetType, "targetType"), targetId, actor, action, since, until),
            new PageRequest(offset ?? 0, limit ?? 50), ct));
}
