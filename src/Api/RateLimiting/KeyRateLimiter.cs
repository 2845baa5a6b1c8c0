using System.Collections.Concurrent;

namespace ModuleService.Api.RateLimiting;

/// <summary>
/// Per-key request and token budgets of this process (see README: several API processes each allow the full
/// limit). One partition per key, with its own lock so that keys never wait on each other and a request is
/// checked against both budgets and charged to both, or to neither, atomically. A partition untouched for a
/// whole window is full again, indistinguishable from a new one, so the sweep drops it: memory is bounded by the
/// keys active in the last minute or two, not by every key ever seen.
/// </summary>
public sealed class KeyRateLimiter(TimeProvider time)
{
    sealed class Partition(DateTimeOffset now)
    {
        public readonly TokenBucket Requests = new(now), Tokens = new(now);
        public DateTimeOffset LastUsed = now;
        public bool Removed;
    }

    readonly ConcurrentDictionary<Guid, Partition> partitions = new();
    long nextSweepTicks;

    /// <summary>Keys with budget state in memory now.</summary>
    internal int PartitionCount => partitions.Count;

    /// <summary>Refuses, without charging anything, when either budget is already empty: a cheap early answer
    /// before the request body is read.</summary>
    public RateLimitOutcome Peek(Guid key, EffectiveRateLimits limits) => Run(key, limits, tokens: 1, charge: false, known: false);

    /// <summary>Charges one request and <paramref name="tokens"/> tokens, or nothing if either does not fit.</summary>
    public RateLimitOutcome TryAcquire(Guid key, EffectiveRateLimits limits, int tokens) => Run(key, limits, tokens, charge: true, known: true);

    /// <summary>Gives back what <see cref="TryAcquire"/> charged, for a request refused after admission (full
    /// queue, engine validation) that computed nothing.</summary>
    public RateLimitOutcome Release(Guid key, EffectiveRateLimits limits, int tokens)
    {
        if (limits.Unlimited) return RateLimitOutcome.Unlimited;
        return WithPartition(key, limits, p =>
        {
            p.Requests.Give(1);
            p.Tokens.Give(tokens);
            return new RateLimitOutcome(p.Requests.Status, p.Tokens.Status, null);
        });
    }

    RateLimitOutcome Run(Guid key, EffectiveRateLimits limits, int tokens, bool charge, bool known)
    {
        if (limits.Unlimited) return RateLimitOutcome.Unlimited;
        return WithPartition(key, limits, p =>
        {
            var requestWait = p.Requests.WaitFor(1);
            var tokenWait = p.Tokens.WaitFor(tokens);
            RateLimitRefusal? refusal = null;
            if (requestWait == TimeSpan.Zero && tokenWait == TimeSpan.Zero)
            {
                if (charge)
                {
                    p.Requests.Take(1);
                    p.Tokens.Take(tokens);
                }
            }
            // Both must fit, so the longer wait is the one to report (null, never, is the longest).
            else if (tokenWait is null || tokenWait > requestWait)
                refusal = new RateLimitRefusal(RateLimitKind.TokensPerMinute, p.Tokens.Capacity, known ? tokens : null,
                    p.Tokens.Status.Remaining, tokenWait, p.Tokens.Status.ResetAfter);
            else
                refusal = new RateLimitRefusal(RateLimitKind.RequestsPerMinute, p.Requests.Capacity, known ? 1 : null,
                    p.Requests.Status.Remaining, requestWait, p.Requests.Status.ResetAfter);
            return new RateLimitOutcome(p.Requests.Status, p.Tokens.Status, refusal);
        });
    }

    RateLimitOutcome WithPartition(Guid key, EffectiveRateLimits limits, Func<Partition, RateLimitOutcome> action)
    {
        var now = time.GetUtcNow();
        SweepIfDue(now);
        while (true)
        {
            var partition = partitions.GetOrAdd(key, static (_, now) => new Partition(now), now);
            lock (partition)
            {
                // Swept between the look-up and the lock: take the fresh partition instead.
                if (partition.Removed) continue;
                partition.Requests.Advance(limits.RequestsPerMinute, now);
                partition.Tokens.Advance(limits.TokensPerMinute, now);
                if (now > partition.LastUsed) partition.LastUsed = now;
                return action(partition);
            }
        }
    }

    /// <summary>At most once a window, by whichever request comes first after it is due.</summary>
    void SweepIfDue(DateTimeOffset now)
    {
        long due = Interlocked.Read(ref nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref nextSweepTicks, now.UtcTicks + TokenBucket.Window.Ticks, due) != due) return;
        foreach (var (key, partition) in partitions)
            lock (partition)
            {
                if (now - partition.LastUsed < TokenBucket.Window) continue;
                partition.Removed = true;
                partitions.TryRemove(new KeyValuePair<Guid, Partition>(key, partition));
            }
    }
}

public enum RateLimitKind { RequestsPerMinute, TokensPerMinute }

/// <summary>What a check found: both budgets after it, and the refusal if the request does not fit.</summary>
public sealed record RateLimitOutcome(BucketStatus Requests, BucketStatus Tokens, RateLimitRefusal? Refusal)
{
    public static readonly RateLimitOutcome Unlimited = new(BucketStatus.Unlimited, BucketStatus.Unlimited, null);
}

/// <param name="Requested">what the request needs (null when refused before its size was known).</param>
/// <param name="RetryAfter">until the request fits; null when it never will (it needs more than the limit).</param>
/// <param name="ResetAfter">until the budget is full again.</param>
public sealed record RateLimitRefusal(RateLimitKind Limit, int LimitValue, int? Requested, int Remaining, TimeSpan? RetryAfter,
    TimeSpan ResetAfter);
