using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;

namespace ModuleService.Registry.Stages;

/// <summary>Result of a stage change.</summary>
public sealed record StageChange(TargetType TargetType, Guid TargetId, Stage From, Stage To);

/// <summary>
/// Stage history of module versions and assemblies. The current stage is the latest event; archive appends
/// <c>archived</c>, restore appends the stage the target had before archiving. Nothing is rewritten.
/// </summary>
public sealed class StageLog(RegistryDbContext db, AuditLog audit, TimeProvider time)
{
    /// <summary>The first event of a new target; the caller audits the creation itself and saves.</summary>
    public void Start(TargetType type, Guid id, Stage stage, string actor, string? reason) =>
        db.StageEvents.Add(new StageEvent
        {
            TargetType = type, TargetId = id, Stage = stage, Actor = Actor.Require(actor), At = time.GetUtcNow(), Reason = reason,
        });

    public async Task<Stage> CurrentAsync(TargetType type, Guid id, CancellationToken ct) =>
        await db.StageEvents.Where(e => e.TargetType == type && e.TargetId == id)
            .OrderByDescending(e => e.Id).Select(e => (Stage?)e.Stage).FirstOrDefaultAsync(ct)
        ?? throw new NotFoundException(type.ToString(), id.ToString());

    /// <summary>
    /// Moves a target to <paramref name="to"/>: draft → active | deprecated, active ⇄ deprecated, anything but archived
    /// → archived. Archived targets only come back through <see cref="RestoreAsync"/>.
    /// </summary>
    public Task<StageChange> SetAsync(TargetType type, Guid id, Stage to, string actor, string? reason, CancellationToken ct) =>
        ChangeAsync(type, id, actor, ct, from =>
        {
            if (from == to) throw new ConflictException($"{type} {id} is already {to}");
            if (from == Stage.Archived) throw new ConflictException($"{type} {id} is archived; restore it first");
            if (to != Stage.Archived && !Allowed(from, to))
                throw new ConflictException($"{type} {id} cannot go from {from} to {to}");
            return Task.FromResult((to, reason));
        });

    public Task<StageChange> ArchiveAsync(TargetType type, Guid id, string actor, string? reason, CancellationToken ct) =>
        SetAsync(type, id, Stage.Archived, actor, reason, ct);

    public Task<StageChange> RestoreAsync(TargetType type, Guid id, string actor, string? reason, CancellationToken ct) =>
        ChangeAsync(type, id, actor, ct, async from =>
        {
            if (from != Stage.Archived) throw new ConflictException($"{type} {id} is {from}, not archived");
            var before = await db.StageEvents.Where(e => e.TargetType == type && e.TargetId == id && e.Stage != Stage.Archived)
                .OrderByDescending(e => e.Id).Select(e => (Stage?)e.Stage).FirstOrDefaultAsync(ct);
            return (before ?? Stage.Draft, reason ?? "restore");
        });

    static bool Allowed(Stage from, Stage to) => (from, to) switch
    {
        (Stage.Draft, Stage.Active or Stage.Deprecated) => true,
        (Stage.Active, Stage.Deprecated) => true,
        (Stage.Deprecated, Stage.Active) => true,
        _ => false,
    };

    async Task<StageChange> ChangeAsync(TargetType type, Guid id, string actor, CancellationToken ct,
        Func<Stage, Task<(Stage To, string? Reason)>> decide)
    {
        actor = Actor.Require(actor);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Serialises changes of one target so two concurrent transitions cannot both start from the same stage.
        var lockKey = BitConverter.ToInt64(id.ToByteArray(), 0);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({lockKey})", ct);
        var from = await CurrentAsync(type, id, ct);
        var (to, reason) = await decide(from);
        Start(type, id, to, actor, reason);
        var verb = to == Stage.Archived ? "archive" : from == Stage.Archived ? "restore" : "stage";
        audit.Append(actor, $"{AuditNames.Of(type)}.{verb}", type, id, new { from, to, reason });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new StageChange(type, id, from, to);
    }
}
