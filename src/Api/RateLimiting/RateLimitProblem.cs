using System.Globalization;

namespace ModuleService.Api.RateLimiting;

/// <summary>The 429 of a refused request: which limit, its value, what is left and when to come back.</summary>
public static class RateLimitProblem
{
    /// <summary>RFC 6585 defines 429; ASP.NET Core uses the same link for its default 429 problems.</summary>
    public const string Type = "https://tools.ietf.org/html/rfc6585#section-4";

    public static IResult For(RateLimitRefusal refusal, HttpContext context, DateTimeOffset now)
    {
        // Whole seconds, rounded up: retrying after Retry-After always finds the budget there.
        long? retryAfter = refusal.RetryAfter is { } wait ? Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)) : null;
        if (retryAfter is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var resetsAt = now + refusal.ResetAfter;
        var (title, detail) = Describe(refusal, retryAfter, resetsAt);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: title, type: Type,
            extensions: new Dictionary<string, object?>
            {
                ["limit"] = Name(refusal.Limit),
                ["limitValue"] = refusal.LimitValue,
                ["remaining"] = refusal.Remaining,
                ["requested"] = refusal.Requested,
                ["retryAfterSeconds"] = retryAfter,
                ["resetsAt"] = resetsAt,
            });
    }

    static (string Title, string Detail) Describe(RateLimitRefusal refusal, long? retryAfter, DateTimeOffset resetsAt)
    {
        var reset = $"the budget is full again at {resetsAt.UtcDateTime:u}";
        if (refusal.Limit == RateLimitKind.RequestsPerMinute)
            return ("Rate limit reached: requests per minute",
                $"This API key may send {refusal.LimitValue} requests per minute and has none left; retry after {retryAfter} s ({reset}).");
        if (retryAfter is null)
            return ("Request too large for the tokens-per-minute limit",
                $"This request reserves {refusal.Requested} tokens (prompt + max_tokens × choices), more than this API key's whole " +
                $"limit of {refusal.LimitValue} tokens per minute, so it can never be admitted: lower max_tokens, n or the prompt.");
        var left = $"this API key has {refusal.Remaining} of its {refusal.LimitValue} tokens per minute left; retry after {retryAfter} s ({reset}).";
        return ("Rate limit reached: tokens per minute", refusal.Requested is { } requested
            ? $"This request reserves {requested} tokens (prompt + max_tokens × choices) but {left}"
            : char.ToUpperInvariant(left[0]) + left[1..]);
    }

    static string Name(RateLimitKind kind) => kind == RateLimitKind.RequestsPerMinute ? "requests_per_minute" : "tokens_per_minute";
}
