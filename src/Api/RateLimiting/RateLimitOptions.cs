using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace ModuleService.Api.RateLimiting;

/// <summary>
/// Section "RateLimits": the per-key limits of the inference endpoints for keys without their own (a key's own
/// limits, set through <c>/v1/keys</c>, win). 0 is unlimited, the default, so that a fresh one-user install does
/// not throttle itself; a shared deployment sets both.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Requests per minute per key on /v1/completions and /v1/chat/completions.</summary>
    [Range(0, int.MaxValue)]
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens per minute per key, charged at admission as prompt tokens + max_tokens × choices.</summary>
    [Range(0, int.MaxValue)]
    public int TokensPerMinute { get; set; }
}

/// <summary>The limits in force for one key: its own where set, else the configured default; 0 is unlimited.</summary>
/// <param name="RequestsPerMinute">requests per minute; 0 = unlimited.</param>
/// <param name="TokensPerMinute">prompt tokens + max_tokens × choices per minute; 0 = unlimited.</param>
public sealed record EffectiveRateLimits(int RequestsPerMinute, int TokensPerMinute)
{
    public static EffectiveRateLimits Resolve(ModuleService.Registry.Keys.KeyRateLimits own, RateLimitOptions defaults) =>
        new(own.RequestsPerMinute ?? defaults.RequestsPerMinute, own.TokensPerMinute ?? defaults.TokensPerMinute);

    [JsonIgnore]
    public bool Unlimited => RequestsPerMinute == 0 && TokensPerMinute == 0;
}
