using System.Globalization;

namespace ModuleService.Api.RateLimiting;

/// <summary>
/// One inference request's dealings with its key's budgets: the early check, the charge once its size is known,
/// a refund if it is refused later, and the <c>x-ratelimit-*</c> headers, which report the last of these.
/// Set as a request feature by <see cref="KeyRateLimitFilter"/>.
/// </summary>
public sealed class RateLimitAdmission(KeyRateLimiter limiter, TimeProvider time, HttpContext context, Guid key, EffectiveRateLimits limits)
{
    RateLimitOutcome last = RateLimitOutcome.Unlimited;
    int charged = -1;

    /// <summary>A 429 if either budget is already empty, else null.</summary>
    public IResult? Peek() => Refused(limiter.Peek(key, limits));

    /// <summary>Charges the request (one request, <paramref name="tokens"/> tokens); a 429 if it does not fit.</summary>
    public IResult? TryAdmit(int tokens)
    {
        if (charged >= 0) throw new InvalidOperationException("a request is admitted once");
        var outcome = limiter.TryAcquire(key, limits, tokens);
        if (outcome.Refusal is null) charged = tokens;
        return Refused(outcome);
    }

    /// <summary>Refunds the charge of a request that was refused after admission without computing anything.</summary>
    public void Release()
    {
        if (charged < 0) return;
        last = limiter.Release(key, limits, charged);
        charged = -1;
    }

    /// <summary>OpenAI's headers for each limited budget (an unlimited one has none).</summary>
    public void WriteHeaders(IHeaderDictionary headers)
    {
        Write(headers, "requests", last.Requests);
        Write(headers, "tokens", last.Tokens);
    }

    IResult? Refused(RateLimitOutcome outcome)
    {
        last = outcome;
        return outcome.Refusal is { } refusal ? RateLimitProblem.For(refusal, context, time.GetUtcNow()) : null;
    }

    static void Write(IHeaderDictionary headers, string name, BucketStatus status)
    {
        if (status.Limit == 0) return;
        headers[$"x-ratelimit-limit-{name}"] = status.Limit.ToString(CultureInfo.InvariantCulture);
        headers[$"x-ratelimit-remaining-{name}"] = status.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[$"x-ratelimit-reset-{name}"] = Duration(status.ResetAfter);
    }

    /// <summary>OpenAI's duration format: <c>12ms</c>, <c>1s</c>, <c>6m0s</c>, <c>2m59.56s</c>.</summary>
    internal static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "0s";
        if (span < TimeSpan.FromSeconds(1)) return $"{Math.Ceiling(span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}ms";
        int minutes = (int)span.TotalMinutes;
        double seconds = Math.Ceiling((span.TotalSeconds - minutes * 60) * 100) / 100;
        var secondsText = seconds.ToString("0.##", CultureInfo.InvariantCulture) + "s";
        return minutes > 0 ? $"{minutes}m{secondsText}" : secondsText;
    }
}
