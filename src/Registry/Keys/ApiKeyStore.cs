using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using ModuleService.Registry.Auditing;
using ModuleService.Registry.Data;
using ModuleService.Registry.Data.Entities;
using ModuleService.Registry.Storage;

namespace ModuleService.Registry.Keys;

/// <summary>The scopes an API key can carry.</summary>
public static class ApiScopes
{
    public const string Read = "read", Infer = "infer", Train = "train", Admin = "admin";
    public static readonly IReadOnlyList<string> All = [Read, Infer, Train, Admin];
}

public sealed record ApiKeyInfo(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy, KeyRateLimits RateLimits);

/// <summary>A key's own rate limits: null takes the configured default, 0 is unlimited.</summary>
public sealed record KeyRateLimits(int? RequestsPerMinute, int? TokensPerMinute)
{
    /// <summary>No override: both limits come from configuration.</summary>
    public static readonly KeyRateLimits Defaults = new(null, null);

    internal static KeyRateLimits From(ApiKeyLimit? row) => row is null ? Defaults : new(row.RequestsPerMinute, row.TokensPerMinute);
}

/// <summary>Who a valid secret belongs to.</summary>
public sealed record ApiPrincipal(Guid KeyId, string Name, IReadOnlyList<string> Scopes, KeyRateLimits RateLimits)
{
    public bool HasScope(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiScopes.Admin);
}

/// <summary>
/// API keys. Only sha256(secret) is stored, so a database leak reveals no usable key; the plaintext is returned
/// once, at creation. A high-entropy random secret makes a plain (unsalted) hash sufficient and lets look-up be
/// one indexed equality. Revocation and rate-limit changes are rows of their own: keys are never updated.
/// </summary>
public sealed class ApiKeyStore(RegistryDbContext db, AuditLog audit, TimeProvider time)
{
    const string SecretPrefix = "msk_";
    const int PrefixLength = 12;

    public async Task<(ApiKeyInfo Key, string Secret)> CreateAsync(string name, IEnumerable<string> scopes, KeyRateLimits rateLimits,
        string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
            throw new InvalidModuleOperationException("name", "key name must be 1-200 characters");
        var scopeList = scopes.Select(s => s.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (scopeList.Length == 0 || scopeList.Any(s => !ApiScopes.All.Contains(s)))
            throw new InvalidModuleOperationException("scopes", $"scopes must be a non-empty subset of {string.Join(", ", ApiScopes.All)}");
        RequireValid(rateLimits);

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(), Name = name.Trim(), Prefix = secret[..PrefixLength], SecretHash = Sha256Hex.Of(secret),
            Scopes = scopeList, CreatedAt = time.GetUtcNow(), CreatedBy = actor,
        };
        db.ApiKeys.Add(key);
        if (rateLimits != KeyRateLimits.Defaults) db.ApiKeyLimits.Add(LimitRow(key.Id, rateLimits, actor));
        audit.Append(actor, "api_key.create", TargetType.ApiKey, key.Id, new { key.Name, key.Prefix, scopes = scopeList, rateLimits });
        await db.SaveChangesAsync(ct);
        return (ToInfo(key, null, rateLimits), secret);
    }

    /// <summary>Replaces a key's own limits (both of them: a null limit goes back to the default). Effective from
    /// the key's next request, since every request reads them with the key.</summary>
    /// <exception cref="NotFoundException">No such key.</exception>
    /// <exception cref="ConflictException">The key is revoked.</exception>
    public async Task<ApiKeyInfo> SetRateLimitsAsync(Guid id, KeyRateLimits rateLimits, string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        RequireValid(rateLimits);
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct)
            ?? throw new NotFoundException("api key", id.ToString());
        if (await db.ApiKeyRevocations.AnyAsync(r => r.KeyId == id, ct))
            throw new ConflictException($"api key {id} is revoked; its limits no longer matter");
        db.ApiKeyLimits.Add(LimitRow(id, rateLimits, actor));
        audit.Append(actor, "api_key.limits", TargetType.ApiKey, id, new { key.Name, key.Prefix, rateLimits });
        await db.SaveChangesAsync(ct);
        return ToInfo(key, null, rateLimits);
    }

    /// <summary>The key's principal, or null for an unknown or revoked secret.</summary>
    public async Task<ApiPrincipal?> AuthenticateAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        var hash = Sha256Hex.Of(secret);
        // One round trip per request: the key with its newest limits row.
        var found = await db.ApiKeys.AsNoTracking()
            .Where(k => k.SecretHash == hash && !db.ApiKeyRevocations.Any(r => r.KeyId == k.Id))
            .Select(k => new { Key = k, Limits = db.ApiKeyLimits.Where(l => l.KeyId == k.Id).OrderByDescending(l => l.Id).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        return found is null ? null : new ApiPrincipal(found.Key.Id, found.Key.Name, found.Key.Scopes, KeyRateLimits.From(found.Limits));
    }

    /// <exception cref="NotFoundException">No such key.</exception>
    /// <exception cref="ConflictException">Already revoked.</exception>
    public async Task<ApiKeyInfo> RevokeAsync(Guid id, string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct)
            ?? throw new NotFoundException("api key", id.ToString());
        if (await db.ApiKeyRevocations.AnyAsync(r => r.KeyId == id, ct))
            throw new ConflictException($"api key {id} is already revoked");
        var revocation = new ApiKeyRevocation { KeyId = id, At = time.GetUtcNow(), By = actor };
        db.ApiKeyRevocations.Add(revocation);
        audit.Append(actor, "api_key.revoke", TargetType.ApiKey, id, new { key.Name, key.Prefix });
        await db.SaveChangesAsync(ct);
        var limits = await db.ApiKeyLimits.AsNoTracking().Where(l => l.KeyId == id).OrderByDescending(l => l.Id).FirstOrDefaultAsync(ct);
        return ToInfo(key, revocation, KeyRateLimits.From(limits));
    }

    /// <summary>All keys, newest first (secrets are never listed, only their prefixes).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(bool includeRevoked, CancellationToken ct)
    {
        var rows = await (from k in db.ApiKeys.AsNoTracking()
                          join r in db.ApiKeyRevocations.AsNoTracking() on k.Id equals r.KeyId into revocations
                          from r in revocations.DefaultIfEmpty()
                          orderby k.CreatedAt descending
                          select new
                          {
                              Key = k, Revocation = r,
                              Limits = db.ApiKeyLimits.Where(l => l.KeyId == k.Id).OrderByDescending(l => l.Id).FirstOrDefault(),
                          }).ToListAsync(ct);
        return rows.Where(r => includeRevoked || r.Revocation is null)
            .Select(r => ToInfo(r.Key, r.Revocation, KeyRateLimits.From(r.Limits))).ToList();
    }

    ApiKeyLimit LimitRow(Guid keyId, KeyRateLimits limits, string actor) => new()
    {
        KeyId = keyId, RequestsPerMinute = limits.RequestsPerMinute, TokensPerMinute = limits.TokensPerMinute,
        SetAt = time.GetUtcNow(), SetBy = actor,
    };

    static void RequireValid(KeyRateLimits limits)
    {
        if (limits.RequestsPerMinute < 0) throw new InvalidModuleOperationException("requestsPerMinute", "must be ≥ 0 (0 = unlimited)");
        if (limits.TokensPerMinute < 0) throw new InvalidModuleOperationException("tokensPerMinute", "must be ≥ 0 (0 = unlimited)");
    }

    static ApiKeyInfo ToInfo(ApiKey key, ApiKeyRevocation? revocation, KeyRateLimits limits) =>
        new(key.Id, key.Name, key.Prefix, key.Scopes, key.CreatedAt, key.CreatedBy, revocation?.At, revocation?.By, limits);

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
