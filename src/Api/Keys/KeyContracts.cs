using ModuleService.Api.RateLimiting;
using ModuleService.Registry.Keys;

namespace ModuleService.Api.Keys;

/// <param name="RateLimits">the key's own limits on the inference endpoints; without them the configured defaults
/// (section RateLimits) apply.</param>
public sealed record CreateKeyRequest(string? Name, IReadOnlyList<string>? Scopes, RateLimitSettings? RateLimits = null);

/// <param name="Secret">the key to send as <c>Authorization: Bearer …</c>; it cannot be shown again.</param>
public sealed record CreatedKey(KeyResponse Key, string Secret);

/// <summary>A key's own limits on /v1/completions and /v1/chat/completions.</summary>
/// <param name="RequestsPerMinute">requests per minute; null (or absent) = the configured default, 0 = unlimited.</param>
/// <param name="TokensPerMinute">tokens per minute, charged at admission as prompt tokens + max_tokens × choices;
/// null (or absent) = the configured default, 0 = unlimited.</param>
public sealed record RateLimitSettings(int? RequestsPerMinute, int? TokensPerMinute)
{
    public void Validate(Dictionary<string, string[]> errors, string prefix)
    {
        if (RequestsPerMinute < 0) errors[prefix + "requestsPerMinute"] = ["must be ≥ 0 (0 = unlimited, null = the default)"];
        if (TokensPerMinute < 0) errors[prefix + "tokensPerMinute"] = ["must be ≥ 0 (0 = unlimited, null = the default)"];
    }

    public KeyRateLimits ToRegistry() => new(RequestsPerMinute, TokensPerMinute);
}

/// <summary>An API key as admins see it (never its secret).</summary>
/// <param name="Prefix">the secret's first characters, to recognise a key.</param>
/// <param name="RateLimits">the key's own limits as set at creation or through PUT /v1/keys/{id}/rate-limits (null fields: the default applies).</param>
/// <param name="EffectiveRateLimits">the limits in force now: the key's own where set, else the configured defaults; 0 = unlimited.</param>
public sealed record KeyResponse(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy, RateLimitSettings RateLimits, EffectiveRateLimits EffectiveRateLimits);

public static class KeyMappings
{
    public static KeyResponse AsResponse(this ApiKeyInfo key, RateLimitOptions defaults) =>
        new(key.Id, key.Name, key.Prefix, key.Scopes, key.CreatedAt, key.CreatedBy, key.RevokedAt, key.RevokedBy,
            new RateLimitSettings(key.RateLimits.RequestsPerMinute, key.RateLimits.TokensPerMinute),
            EffectiveRateLimits.Resolve(key.RateLimits, defaults));
}
