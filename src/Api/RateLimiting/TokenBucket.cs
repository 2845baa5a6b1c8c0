namespace ModuleService.Api.RateLimiting;

/// <summary>
/// A per-minute budget that refills continuously (capacity per minute, a little every tick) instead of all at once
/// at a window boundary: a fixed window lets a client spend two minutes' worth around the boundary, and a sliding
/// log costs memory per request. Amounts are kept in token·ticks, so refilling is exact integer arithmetic (after
/// exactly one minute the bucket is exactly full, which the tests rely on). Not thread-safe by itself: the owning
/// partition's lock guards it.
/// </summary>
internal sealed class TokenBucket(DateTimeOffset now)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    static readonly long WindowTicks = Window.Ticks;

    long level;          // tokens × WindowTicks; a full bucket holds Capacity × WindowTicks
    DateTimeOffset updated = now;

    /// <summary>Tokens per minute; 0 is unlimited (the bucket then never refuses and reports nothing).</summary>
    public int Capacity { get; private set; }

    long Full => Capacity * WindowTicks;

    /// <summary>Refills up to <paramref name="now"/>. A changed limit applies at once and what the key has used
    /// stays used: raising 1 to 5 after one request leaves 4 (an admin raising a limit expects it to help now),
    /// lowering never leaves more than the new limit. A newly limited key starts full.</summary>
    public void Advance(int capacity, DateTimeOffset now)
    {
        if (capacity != Capacity)
        {
            long used = Full - level;
            Capacity = capacity;
            level = Capacity == 0 || used == 0 ? Full : Math.Max(0, Full - used);
        }
        // A clock that steps back refills nothing; elapsed time beyond a window cannot add more than a full bucket
        // (and is capped first so that the product cannot overflow).
        long elapsed = Math.Clamp((now - updated).Ticks, 0, WindowTicks);
        level = Math.Min(Full, level + elapsed * Capacity);
        if (now > updated) updated = now;
    }

    /// <summary>How long until <paramref name="amount"/> tokens are there: zero if they are, null if they never
    /// will be (more than the capacity).</summary>
    public TimeSpan? WaitFor(int amount)
    {
        if (Capacity == 0 || amount * WindowTicks <= level) return TimeSpan.Zero;
        if (amount > Capacity) return null;
        return Ticks(amount * WindowTicks - level);
    }

    public void Take(int amount) { if (Capacity > 0) level -= amount * WindowTicks; }

    public void Give(int amount) { if (Capacity > 0) level = Math.Min(Full, level + amount * WindowTicks); }

    public BucketStatus Status => Capacity == 0
        ? BucketStatus.Unlimited
        : new BucketStatus(Capacity, (int)(level / WindowTicks), Ticks(Full - level));

    /// <summary>The time the refill takes to add <paramref name="deficit"/> token·ticks, rounded up.</summary>
    TimeSpan Ticks(long deficit) => TimeSpan.FromTicks((deficit + Capacity - 1) / Capacity);
}

/// <summary>One limit as the response headers report it.</summary>
/// <param name="Limit">per minute; 0 = unlimited.</param>
/// <param name="Remaining">whole tokens (or requests) left now.</param>
/// <param name="ResetAfter">until the budget is full again.</param>
public readonly record struct BucketStatus(int Limit, int Remaining, TimeSpan ResetAfter)
{
    public static readonly BucketStatus Unlimited = new(0, 0, TimeSpan.Zero);
}
