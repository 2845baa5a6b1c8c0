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
    string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy);

/// <summary>Who a valid secret belongs to.</summary>
public sealed record ApiPrincipal(Guid KeyId, string Name, IReadOnlyList<string> Scopes)
{
    public bool HasScope(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiScopes.Admin);
}

/// <summary>
/// API keys. Only sha256(secret) is stored, so a database leak reveals no usable key; the plaintext is returned
/// once, at creation. A high-entropy random secret makes a plain (unsalted) hash sufficient and lets look-up be
/// one indexed equality. Revocation is a separate row: keys are never updated.
/// </summary>
public sealed class ApiKeyStore(RegistryDbContext db, AuditLog audit, TimeProvider time)
{
    const string SecretPrefix = "msk_";
    const int PrefixLength = 12;

    public async Task<(ApiKeyInfo Key, string Secret)> CreateAsync(string name, IEnumerable<string> scopes, string actor, CancellationToken ct)
    {
        actor = Actor.Require(actor);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
            throw new InvalidModuleOperationException("name", "key name must be 1-200 characters");
        var scopeList = scopes.Select(s => s.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (scopeList.Length == 0 || scopeList.Any(s => !ApiScopes.All.Contains(s)))
            throw new InvalidModuleOperationException("scopes", $"scopes must be a non-empty subset of {string.Join(", ", ApiScopes.All)}");

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(), Name = name.Trim(), Prefix = secret[..PrefixLength], SecretHash = Sha256Hex.Of(secret),
            Scopes = scopeList, CreatedAt = time.GetUtcNow(), CreatedBy = actor,
        };
        db.ApiKeys.Add(key);
        audit.Append(actor, "api_key.create", TargetType.ApiKey, key.Id, new { key.Name, key.Prefix, scopes = scopeList });
        await db.SaveChangesAsync(ct);
        return (ToInfo(key, null), secret);
    }

    /// <summary>The key's principal, or null for an unknown or revoked secret.</summary>
    public async Task<ApiPrincipal?> AuthenticateAsync(string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        var hash = Sha256Hex.Of(secret);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.SecretHash == hash && !db.ApiKeyRevocations.Any(r => r.KeyId == k.Id))
            .SingleOrDefaultAsync(ct);
        return key is null ? null : new ApiPrincipal(key.Id, key.Name, key.Scopes);
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
        return ToInfo(key, revocation);
    }

    /// <summary>All keys, newest first (secrets are never listed, only their prefixes).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(bool includeRevoked, CancellationToken ct)
    {
        var rows = await (from k in db.ApiKeys.AsNoTracking()
                          join r in db.ApiKeyRevocations.AsNoTracking() on k.Id equals r.KeyId into revocations
                          from r in revocations.DefaultIfEmpty()
                          orderby k.CreatedAt descending
                          select new { Key = k, Revocation = r }).ToListAsync(ct);
        return rows.Where(r => includeRevoked || r.Revocation is null).Select(r => ToInfo(r.Key, r.Revocation)).ToList();
    }

    static ApiKeyInfo ToInfo(ApiKey key, ApiKeyRevocation? revocation) =>
        new(key.Id, key.Name, key.Prefix, key.Scopes, key.CreatedAt, key.CreatedBy, revocation?.At, revocation?.By);

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
