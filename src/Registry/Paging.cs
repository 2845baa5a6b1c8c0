using Microsoft.EntityFrameworkCore;

namespace ModuleService.Registry;

/// <summary>Offset paging; <see cref="Limit"/> is capped so one request cannot pull a whole table.</summary>
public sealed record PageRequest(int Offset = 0, int Limit = 50)
{
    public const int MaxLimit = 500;

    /// <exception cref="InvalidModuleOperationException">Target names offset or limit.</exception>
    public void Validate()
    {
        if (Offset < 0) throw new InvalidModuleOperationException("offset", $"must not be negative, got {Offset}");
        if (Limit is < 1 or > MaxLimit) throw new InvalidModuleOperationException("limit", $"must be in 1..{MaxLimit}, got {Limit}");
    }
}

/// <summary>One page of results plus the total number of matches.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

static class PagingExtensions
{
    /// <summary>Counts, then fetches one page; <paramref name="map"/> runs in memory (it may parse JSON).</summary>
    public static async Task<Page<TOut>> ToPageAsync<TIn, TOut>(this IQueryable<TIn> query, PageRequest page,
        Func<TIn, TOut> map, CancellationToken ct)
    {
        page.Validate();
        var total = await query.CountAsync(ct);
        var rows = await query.Skip(page.Offset).Take(page.Limit).ToListAsync(ct);
        return new Page<TOut>(rows.Select(map).ToList(), total, page.Offset, page.Limit);
    }
}

static class Actor
{
    /// <summary>Every change names who made it; an empty actor would make the audit log useless.</summary>
    public static string Require(string? actor) =>
        string.IsNullOrWhiteSpace(actor) ? throw new ArgumentException("an actor is required for every change", nameof(actor)) : actor.Trim();
}
