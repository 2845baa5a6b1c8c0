using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Auditing;

/// <summary>Filters for <see cref="AuditLog.ListAsync"/>; null means "any".</summary>
public sealed record AuditQuery(TargetType? TargetType = null, string? TargetId = null, string? Actor = null,
    string? Action = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

public sealed record AuditEntryView(long Id, DateTimeOffset At, string Actor, string Action, TargetType TargetType,
    string TargetId, JsonElement Details);

/// <summary>The append-only record of every change.</summary>
public sealed class AuditLog(RegistryDbContext db, TimeProvider time)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Adds an entry to the context without saving: it is written by the caller's SaveChanges, in the same
    /// transaction as the change it describes, so a change and its audit entry exist together or not at all.
    /// </summary>
    public void Append(string actor, string action, TargetType targetType, string targetId, object? details = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            At = time.GetUtcNow(),
            Actor = Actor.Require(actor),
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            Details = JsonSerializer.Serialize(details ?? new { }, Json),
        });

    public void Append(string actor, string action, TargetType targetType, Guid targetId, object? details = null) =>
        Append(actor, action, targetType, targetId.ToString(), details);

    /// <summary>Newest first.</summary>
    public Task<Page<AuditEntryView>> ListAsync(AuditQuery? query, PageRequest? page, CancellationToken ct)
    {
        query ??= new();
        var rows = db.AuditEntries.AsNoTracking();
        if (query.TargetType is { } type) rows = rows.Where(e => e.TargetType == type);
        if (query.TargetId is { } id) rows = rows.Where(e => e.TargetId == id);
        if (query.Actor is { } actor) rows = rows.Where(e => e.Actor == actor);
        if (query.Action is { } action) rows = rows.Where(e => e.Action == action);
        if (query.Since is { } since) rows = rows.Where(e => e.At >= since);
        if (query.Until is { } until) rows = rows.Where(e => e.At < until);
        return rows.OrderByDescending(e => e.Id).ToPageAsync(page ?? new(), e => new AuditEntryView(
            e.Id, e.At, e.Actor, e.Action, e.TargetType, e.TargetId, JsonSerializer.Deserialize<JsonElement>(e.Details)), ct);
    }
}
